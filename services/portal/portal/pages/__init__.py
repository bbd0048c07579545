"""The portal's pages, one router per audience."""

from portal.pages import (
    admin,
    answering,
    expenses,
    participant,
    preferences,
    public,
    signing_in,
    staff,
    staff_involvement,
    stories,
)

routers = [public.router, signing_in.router, participant.router, answering.router,
           expenses.router, preferences.router, staff.router, staff_involvement.router,
           admin.router, stories.router]
