"""The feedback service's domain: consultations and their responses, stories, changes,
learning, the facts noted from other services, and the measures. Pure Python."""

from feedback.domain.change import CHANGE_EVENTS
from feedback.domain.consultation import CONSULTATION_EVENTS
from feedback.domain.feedback import FEEDBACK_EVENTS
from feedback.domain.learning import LEARNING_EVENTS
from feedback.domain.noted import NOTED_EVENTS
from feedback.domain.story import STORY_EVENTS

EVENT_TYPES = (*CONSULTATION_EVENTS, *FEEDBACK_EVENTS, *STORY_EVENTS, *CHANGE_EVENTS,
               *LEARNING_EVENTS, *NOTED_EVENTS)

__all__ = ["EVENT_TYPES"]
