async def test_publish_match_invite_accept(region):
    org, staff = await region.organisation()
    alex, alex_headers = await region.person()
    await region.pool_has(alex)
    published = await region.publish(staff)
    oid = published["opportunity_id"]
    matches = await region.http.get(f"/v1/opportunities/{oid}/matches", headers=staff)
    assert matches.status_code == 200, matches.text
    print(matches.json())
    invited = await region.http.post(f"/v1/opportunities/{oid}/invitations",
                                     json={"top": 5}, headers=staff)
    assert invited.status_code == 201, invited.text
    inv = invited.json()[0]["invitation_id"]
    accepted = await region.http.post(f"/v1/invitations/{inv}/accept", headers=alex_headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "assigned"
