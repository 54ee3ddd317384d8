"""Reports (docs/api.md "Reports and moderation"): POST and GET /reports/."""

import pytest

from friendships.models import Friendship
from moderation.models import Case, Report
from safety.models import Block
from tests.conftest import set_throttle_rates
from tests.factories import CommentFactory, TweetFactory, UserFactory
from tests.moderation.conftest import REPORTS, report
from tests.shapes import ANY, error, iso

pytestmark = pytest.mark.django_db


def report_json(row: Report, **overrides) -> dict:
    body = {
        "id": row.pk,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "reason": row.reason,
        "comment": row.comment,
        "status": row.status,
        "created_at": iso(row.created_at),
    }
    return {**body, **overrides}


def test_report_a_tweet_answers_201_with_the_open_report(alice_client, bob):
    tweet = TweetFactory(user=bob, text="spam spam")

    response = report(alice_client, "tweet", tweet, reason="spam", comment="Bought followers.")

    assert response.status_code == 201
    row = Report.objects.get()
    assert response.json() == {
        "id": row.pk,
        "target_type": "tweet",
        "target_id": tweet.pk,
        "reason": "spam",
        "comment": "Bought followers.",
        "status": "open",
        "created_at": ANY,
    }
    case = Case.objects.get()
    assert (case.target_type, case.target_id, case.target_user, case.status) == (
        "tweet",
        tweet.pk,
        bob,
        "open",
    )
    assert case.reports_count == 1


def test_report_a_comment_a_user_and_a_message(alice, alice_client, bob, message):
    comment = CommentFactory(tweet=TweetFactory(user=alice), user=bob, text="rude")

    assert report(alice_client, "comment", comment, reason="abuse").status_code == 201
    by_name = report(alice_client, "user", reason="abuse", username="BOB")
    assert by_name.status_code == 201
    assert by_name.json()["target_id"] == bob.pk
    assert report(alice_client, "message", message, reason="spam").status_code == 201
    assert sorted(Case.objects.values_list("target_type", "target_user__username")) == [
        ("comment", "bob"),
        ("message", "bob"),
        ("user", "bob"),
    ]


def test_a_user_is_also_reported_by_id(alice_client, bob):
    response = report(alice_client, "user", bob, reason="other")

    assert response.status_code == 201
    assert response.json()["target_id"] == bob.pk


def test_reports_of_one_target_by_several_users_share_one_case(alice_client, bob, make_auth_client):
    tweet = TweetFactory(user=bob)

    report(alice_client, "tweet", tweet)
    report(make_auth_client(), "tweet", tweet, reason="abuse")

    case = Case.objects.get()
    assert case.reports_count == 2
    assert case.reports.count() == 2


def test_a_repeated_open_report_answers_200_with_the_first_and_changes_nothing(alice_client, bob):
    tweet = TweetFactory(user=bob)
    first = report(alice_client, "tweet", tweet, reason="spam")

    again = report(alice_client, "tweet", tweet, reason="abuse", comment="again")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Report.objects.count() == 1
    assert Case.objects.get().reports_count == 1


def test_a_report_after_the_case_was_resolved_opens_a_new_case(alice, alice_client, bob):
    from moderation import services

    tweet = TweetFactory(user=bob)
    first = report(alice_client, "tweet", tweet).json()
    services.dismiss_case(moderator=None, case_id=Case.objects.get().pk)

    again = report(alice_client, "tweet", tweet)

    assert again.status_code == 201
    assert again.json()["id"] != first["id"]
    assert list(Case.objects.order_by("id").values_list("status", flat=True)) == [
        "dismissed",
        "open",
    ]


@pytest.mark.parametrize(
    ("target_type", "missing"),
    [("tweet", 999999), ("comment", 999999), ("user", 999999), ("message", 999999)],
)
def test_report_of_a_missing_target_is_404(alice_client, target_type, missing):
    response = report(alice_client, target_type, target_id=missing)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Report.objects.exists()


def test_a_message_is_reported_only_by_a_participant(make_auth_client, message):
    response = report(make_auth_client(), "message", message)

    assert response.status_code == 404
    assert response.json() == error("not_found", "No message with that id.")


def test_a_protected_accounts_tweet_and_comments_are_404_to_non_followers(alice, alice_client, bob):
    tweet = TweetFactory(user=bob)
    comment = CommentFactory(tweet=tweet, user=UserFactory(), text="hi")
    bob.is_protected = True
    bob.save()

    assert report(alice_client, "tweet", tweet).status_code == 404
    assert report(alice_client, "comment", comment).status_code == 404
    assert report(alice_client, "user", bob).status_code == 201  # the account itself is public

    Friendship.objects.create(follower=alice, followee=bob)  # an accepted request
    assert report(alice_client, "tweet", tweet).status_code == 201
    assert report(alice_client, "comment", comment).status_code == 201


@pytest.mark.parametrize("alice_blocks", [True, False])
def test_a_block_does_not_stop_a_report(alice, alice_client, bob, alice_blocks):
    tweet = TweetFactory(user=bob)
    if alice_blocks:
        Block.objects.create(blocker=alice, blocked=bob)
    else:
        Block.objects.create(blocker=bob, blocked=alice)

    assert report(alice_client, "tweet", tweet).status_code == 201
    assert report(alice_client, "user", bob).status_code == 201


def test_reporting_oneself_or_ones_own_content_is_400(alice, alice_client):
    tweet = TweetFactory(user=alice)

    for response in (report(alice_client, "tweet", tweet), report(alice_client, "user", alice)):
        assert response.status_code == 400
        assert response.json() == error("cannot_report_self")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"target_type": "tweet", "reason": "spam"}, {"target_id": ["This field is required."]}),
        (
            {"target_type": "post", "target_id": 1, "reason": "spam"},
            {"target_type": ['"post" is not a valid choice.']},
        ),
        (
            {"target_type": "tweet", "target_id": 1, "reason": "boring"},
            {"reason": ['"boring" is not a valid choice.']},
        ),
        (
            {"target_type": "tweet", "target_id": 1, "reason": "spam", "comment": "x" * 1001},
            {"comment": ["Ensure this field has no more than 1000 characters."]},
        ),
        (
            {"target_type": "tweet", "username": "bob", "reason": "spam"},
            {"username": ["Only a user is named by username."]},
        ),
        (
            {"target_type": "user", "target_id": 1, "username": "bob", "reason": "spam"},
            {"username": ["Give target_id or username."]},
        ),
        (
            {"target_type": "tweet", "target_id": 1, "reason": "spam", "severity": 3},
            {"severity": ["Unknown field."]},
        ),
    ],
)
def test_invalid_reports_are_400(alice_client, body, fields):
    response = alice_client.post(REPORTS, body)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"] == fields


def test_a_comment_of_1000_characters_is_accepted(alice_client, bob):
    response = report(alice_client, "user", bob, comment="x" * 1000)

    assert response.status_code == 201


def test_reports_need_a_signed_in_user(api_client, bob):
    assert report(api_client, "user", bob).status_code == 401
    assert api_client.get(REPORTS).status_code == 401


def test_the_list_shows_only_the_callers_reports_newest_first_with_status(
    alice_client, bob, make_auth_client
):
    from moderation import services

    first = TweetFactory(user=bob)
    second = TweetFactory(user=bob)
    report(alice_client, "tweet", first)
    report(alice_client, "tweet", second, reason="abuse")
    report(make_auth_client(), "user", bob)
    services.dismiss_case(moderator=None, case_id=Case.objects.get(target_id=first.pk).pk)

    response = alice_client.get(REPORTS)

    assert response.status_code == 200
    mine = Report.objects.filter(reporter__username="alice").order_by("-id")
    assert response.json()["results"] == [report_json(row) for row in mine]
    assert [item["status"] for item in response.json()["results"]] == ["open", "dismissed"]


def test_the_list_is_paginated(alice_client):
    for _ in range(3):
        report(alice_client, "user", UserFactory())

    first = alice_client.get(REPORTS, {"page_size": 2}).json()
    second = alice_client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["next"] is None


@pytest.mark.parametrize("page_size", [1, 20])
def test_the_list_query_count_is_fixed(alice, alice_client, django_assert_num_queries, page_size):
    for _ in range(21):
        report(alice_client, "user", UserFactory())

    with django_assert_num_queries(2):  # the token's user, the page
        response = alice_client.get(REPORTS, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_reports_are_throttled(settings, alice_client):
    set_throttle_rates(settings, report="2/hour")
    targets = UserFactory.create_batch(3)

    codes = [report(alice_client, "user", target).status_code for target in targets]

    assert codes == [201, 201, 429]
    assert alice_client.get(REPORTS).status_code == 200  # reading is not counted


def test_the_schema_documents_reports(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    operations = schema["paths"]["/api/v1/reports/"]
    assert set(operations) == {"get", "post"}
    assert set(operations["post"]["responses"]) >= {"200", "201", "400", "401", "404", "429"}
    body = schema["components"]["schemas"]["ReportCreateInputRequest"]
    assert set(body["properties"]) == {"target_type", "target_id", "username", "reason", "comment"}
    assert body.get("additionalProperties") is False
    notification = schema["components"]["schemas"]["Notification"]["properties"]
    assert "report" in notification
