"""The shapes the people half's API takes and gives."""

from datetime import datetime, time
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import RowMapping

from chorus.contracts.vocabulary import Frequency
from notifications.people.domain.notices import NoticeKind, NoticeStatus
from notifications.people.domain.preferences import Channel, Preferences, QuietHours


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


LocalTime = Annotated[time, WithJsonSchema({
    "type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "examples": ["21:30"], "description": "A local time of day, hh:mm, without a time zone."})]


class QuietHoursIn(Strict):
    start: LocalTime = Field(description="Local time they begin, e.g. '21:30'.", examples=["21:30"])
    end: LocalTime = Field(description="Local time they end, e.g. '07:00'; may be the next "
                      "morning.", examples=["07:00"])

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a local time, without a time zone")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self


class PreferencesIn(Strict):
    channel: Channel = Field(default=Channel.EMAIL, description="How to be told: 'email'. "
                             "'sms' and 'letter' are not offered yet.")
    frequency: Frequency = Field(default=Frequency.IMMEDIATE, description=(
        "'immediate': each notice as it comes; 'daily' or 'weekly': one round-up e-mail "
        "across every organisation (weekly on Mondays). Sign-in codes and reminders about "
        "a deadline or a session always come at once."))
    quiet_hours: QuietHoursIn | None = Field(default=None, description=(
        "Nothing is sent between these local times (UK time); what falls in them waits "
        "until they end. Sign-in codes are sent at once regardless. Null: none."))

    def to_domain(self) -> Preferences:
        quiet = self.quiet_hours
        return Preferences(self.channel, self.frequency,
                           QuietHours(quiet.start, quiet.end) if quiet else None)


class QuietHoursOut(BaseModel):
    start: LocalTime
    end: LocalTime


class PreferencesOut(BaseModel):
    participant_id: UUID
    channel: Channel
    frequency: Frequency
    quiet_hours: QuietHoursOut | None
    timezone: str = Field(description="The clock quiet hours and digests follow.")
    updated_at: datetime | None = Field(description="Null until they are first set.")

    @classmethod
    def of(cls, participant_id: UUID, chosen: Preferences, updated_at: datetime | None,
           timezone: str) -> Self:
        quiet = chosen.quiet_hours
        return cls(participant_id=participant_id, channel=chosen.channel,
                   frequency=chosen.frequency,
                   quiet_hours=QuietHoursOut(start=quiet.start, end=quiet.end) if quiet
                   else None, timezone=timezone, updated_at=updated_at)


class NoticeOut(BaseModel):
    notice_id: UUID
    kind: NoticeKind
    title: str
    text: str = Field(description="The words as sent (a sign-in code is not shown).")
    status: NoticeStatus
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: RowMapping) -> Self:
        return cls(notice_id=row["notice_id"], kind=row["kind"], title=row["title"],
                   text=row["text"], status=row["status"], created_at=row["created_at"],
                   sent_at=row["sent_at"])


class NoticePage(BaseModel):
    total: int
    items: list[NoticeOut]


class SignInCodeIn(Strict):
    participant_id: UUID
    code: str = Field(pattern=r"^[A-Za-z0-9]{4,12}$", description="The one-time code.")
    expires_at: AwareDatetime = Field(description="When the code stops working.")


class SignInCodeOut(BaseModel):
    notice_id: UUID
    status: NoticeStatus = Field(description="'sent', or 'skipped' when the person cannot "
                                 "be contacted (paused, left or erased).")
