"""Feedback: write-side tables (consultation index, responses, stories, changes, the
organisations and participants registry published) and read models (accountability facts,
the learning library).

Revision ID: feedback_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chorus.store.types import UtcDateTime

revision: str = "feedback_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("feedback",)
depends_on: str | Sequence[str] | None = "kernel_0001"


def upgrade() -> None:
    op.create_table(
        "change_index",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("service_area", sa.String(length=100), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("made_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("change_id"),
    )
    op.create_index(op.f("ix_change_index_made_at"), "change_index", ["made_at"], unique=False)
    op.create_index(
        op.f("ix_change_index_network_id"), "change_index", ["network_id"], unique=False
    )
    op.create_table(
        "change_links",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("linked_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("change_id", "kind", "linked_id"),
    )
    op.create_index(op.f("ix_change_links_linked_id"), "change_links", ["linked_id"], unique=False)
    op.create_table(
        "change_parts",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("change_id", "organisation_id"),
    )
    op.create_index(
        op.f("ix_change_parts_organisation_id"), "change_parts", ["organisation_id"], unique=False
    )
    op.create_table(
        "change_voices",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("change_id", "participant_id"),
    )
    op.create_index(
        op.f("ix_change_voices_participant_id"), "change_voices", ["participant_id"], unique=False
    )
    op.create_table(
        "consultation_index",
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closes_at", UtcDateTime(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("outcome_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("consultation_id"),
    )
    op.create_index(
        op.f("ix_consultation_index_closes_at"), "consultation_index", ["closes_at"], unique=False
    )
    op.create_index(
        op.f("ix_consultation_index_network_id"), "consultation_index", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_consultation_index_organisation_id"),
        "consultation_index",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "learning",
        sa.Column("learning_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("change_ids", sa.JSON(), nullable=False),
        sa.Column("consultation_ids", sa.JSON(), nullable=False),
        sa.Column("shared_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("learning_id"),
    )
    op.create_index(op.f("ix_learning_network_id"), "learning", ["network_id"], unique=False)
    op.create_index(
        op.f("ix_learning_organisation_id"), "learning", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_learning_shared_at"), "learning", ["shared_at"], unique=False)
    op.create_table(
        "learning_tags",
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("learning_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("tag", "learning_id"),
    )
    op.create_table(
        "learning_terms",
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("learning_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("term", "learning_id"),
    )
    op.create_table(
        "m_changed",
        sa.Column("linked_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("linked_id"),
    )
    op.create_table(
        "m_consultations",
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("days_to_outcome", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("consultation_id"),
    )
    op.create_index(
        op.f("ix_m_consultations_network_id"), "m_consultations", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_m_consultations_organisation_id"),
        "m_consultations",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "m_expenses",
        sa.Column("expense_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("days_to_payment", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("expense_id"),
    )
    op.create_index(op.f("ix_m_expenses_network_id"), "m_expenses", ["network_id"], unique=False)
    op.create_index(
        op.f("ix_m_expenses_organisation_id"), "m_expenses", ["organisation_id"], unique=False
    )
    op.create_table(
        "m_feedback",
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id"),
    )
    op.create_table(
        "m_invitations",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("declined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("network_id"),
    )
    op.create_table(
        "m_involvement",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "participant_id"),
    )
    op.create_index(
        op.f("ix_m_involvement_network_id"), "m_involvement", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_m_involvement_organisation_id"), "m_involvement", ["organisation_id"], unique=False
    )
    op.create_table(
        "m_opportunities",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id"),
    )
    op.create_index(
        op.f("ix_m_opportunities_network_id"), "m_opportunities", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_m_opportunities_organisation_id"),
        "m_opportunities",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "m_stories",
        sa.Column("story_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("story_id"),
    )
    op.create_index(op.f("ix_m_stories_network_id"), "m_stories", ["network_id"], unique=False)
    op.create_table(
        "m_story_organisations",
        sa.Column("story_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "organisation_id"),
    )
    op.create_index(
        op.f("ix_m_story_organisations_organisation_id"),
        "m_story_organisations",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "organisations",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_index(
        op.f("ix_organisations_network_id"), "organisations", ["network_id"], unique=False
    )
    op.create_table(
        "participants",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deprivation_decile", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index(
        op.f("ix_participants_network_id"), "participants", ["network_id"], unique=False
    )
    op.create_table(
        "responses",
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id"),
    )
    op.create_index(
        op.f("ix_responses_consultation_id"), "responses", ["consultation_id"], unique=False
    )
    op.create_index(
        op.f("ix_responses_participant_id"), "responses", ["participant_id"], unique=False
    )
    op.create_table(
        "story_index",
        sa.Column("story_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("service_area", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("published_text", sa.String(), nullable=True),
        sa.Column("shared_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("story_id"),
    )
    op.create_index(op.f("ix_story_index_network_id"), "story_index", ["network_id"], unique=False)
    op.create_index(
        op.f("ix_story_index_participant_id"), "story_index", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_story_index_shared_at"), "story_index", ["shared_at"], unique=False)
    op.create_table(
        "story_organisations",
        sa.Column("story_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "organisation_id"),
    )
    op.create_index(
        op.f("ix_story_organisations_organisation_id"),
        "story_organisations",
        ["organisation_id"],
        unique=False,
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_story_organisations_organisation_id"), table_name="story_organisations")
    op.drop_table("story_organisations")
    op.drop_index(op.f("ix_story_index_shared_at"), table_name="story_index")
    op.drop_index(op.f("ix_story_index_participant_id"), table_name="story_index")
    op.drop_index(op.f("ix_story_index_network_id"), table_name="story_index")
    op.drop_table("story_index")
    op.drop_index(op.f("ix_responses_participant_id"), table_name="responses")
    op.drop_index(op.f("ix_responses_consultation_id"), table_name="responses")
    op.drop_table("responses")
    op.drop_index(op.f("ix_participants_network_id"), table_name="participants")
    op.drop_table("participants")
    op.drop_index(op.f("ix_organisations_network_id"), table_name="organisations")
    op.drop_table("organisations")
    op.drop_index(
        op.f("ix_m_story_organisations_organisation_id"), table_name="m_story_organisations"
    )
    op.drop_table("m_story_organisations")
    op.drop_index(op.f("ix_m_stories_network_id"), table_name="m_stories")
    op.drop_table("m_stories")
    op.drop_index(op.f("ix_m_opportunities_organisation_id"), table_name="m_opportunities")
    op.drop_index(op.f("ix_m_opportunities_network_id"), table_name="m_opportunities")
    op.drop_table("m_opportunities")
    op.drop_index(op.f("ix_m_involvement_organisation_id"), table_name="m_involvement")
    op.drop_index(op.f("ix_m_involvement_network_id"), table_name="m_involvement")
    op.drop_table("m_involvement")
    op.drop_table("m_invitations")
    op.drop_table("m_feedback")
    op.drop_index(op.f("ix_m_expenses_organisation_id"), table_name="m_expenses")
    op.drop_index(op.f("ix_m_expenses_network_id"), table_name="m_expenses")
    op.drop_table("m_expenses")
    op.drop_index(op.f("ix_m_consultations_organisation_id"), table_name="m_consultations")
    op.drop_index(op.f("ix_m_consultations_network_id"), table_name="m_consultations")
    op.drop_table("m_consultations")
    op.drop_table("m_changed")
    op.drop_table("learning_terms")
    op.drop_table("learning_tags")
    op.drop_index(op.f("ix_learning_shared_at"), table_name="learning")
    op.drop_index(op.f("ix_learning_organisation_id"), table_name="learning")
    op.drop_index(op.f("ix_learning_network_id"), table_name="learning")
    op.drop_table("learning")
    op.drop_index(op.f("ix_consultation_index_organisation_id"), table_name="consultation_index")
    op.drop_index(op.f("ix_consultation_index_network_id"), table_name="consultation_index")
    op.drop_index(op.f("ix_consultation_index_closes_at"), table_name="consultation_index")
    op.drop_table("consultation_index")
    op.drop_index(op.f("ix_change_voices_participant_id"), table_name="change_voices")
    op.drop_table("change_voices")
    op.drop_index(op.f("ix_change_parts_organisation_id"), table_name="change_parts")
    op.drop_table("change_parts")
    op.drop_index(op.f("ix_change_links_linked_id"), table_name="change_links")
    op.drop_table("change_links")
    op.drop_index(op.f("ix_change_index_network_id"), table_name="change_index")
    op.drop_index(op.f("ix_change_index_made_at"), table_name="change_index")
    op.drop_table("change_index")
    # ### end Alembic commands ###
