"""Stories: the network's moderators publish, redact or reject what people shared; an
organisation answers the stories about it in public; everyone reads the published ones."""

from fastapi import APIRouter

router = APIRouter()
