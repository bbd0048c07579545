"""What the feedback service's composition root hands its routes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from feedback.anonymous import AnonymousLimit
from feedback.application.changes import Changes
from feedback.application.consultations import Consultations
from feedback.application.metrics import Metrics
from feedback.application.stories import Stories


@dataclass(frozen=True)
class FeedbackState:
    consultations: Consultations
    stories: Stories
    changes: Changes
    metrics: Metrics
    anonymous_limit: AnonymousLimit
    clock: Callable[[], datetime]
