"""Chorus portal: the pages participants, organisation staff and the public use, drawn on the
server from the services' APIs (a backend-for-frontend that holds no domain data)."""
