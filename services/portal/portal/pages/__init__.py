"""The portal's pages, one router per audience."""

from portal.pages import answering, participant, public, signing_in, staff

routers = [public.router, signing_in.router, participant.router, answering.router,
           staff.router]
