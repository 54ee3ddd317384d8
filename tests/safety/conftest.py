"""Helpers for the blocks and mutes tests."""


def block(client, user, method: str = "post"):
    return getattr(client, method)(f"/api/v1/users/{user.username}/block/")


def mute(client, user, method: str = "post", **body):
    return getattr(client, method)(f"/api/v1/users/{user.username}/mute/", body, format="json")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["username"] for item in response.json()["results"]]
