"""JSON schemas of Mastodon's entities, written from Mastodon's documentation of each
(the attributes every entity must have, with their types), to check the layer's answers."""

import jsonschema

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NBOOL = {"type": ["boolean", "null"]}
LIST = {"type": "array"}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}
NTIME = {"anyOf": [TIME, {"type": "null"}]}
ID = {"type": "string", "pattern": r"^\d+$"}


def entity(properties: dict, optional: tuple = ()) -> dict:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


ACCOUNT = entity(
    {
        "id": ID,
        "username": STR,
        "acct": STR,
        "url": STR,
        "display_name": STR,
        "note": STR,
        "avatar": STR,
        "avatar_static": STR,
        "header": STR,
        "header_static": STR,
        "locked": BOOL,
        "fields": LIST,
        "emojis": LIST,
        "bot": BOOL,
        "group": BOOL,
        "discoverable": NBOOL,
        "created_at": TIME,
        "last_status_at": {"type": ["string", "null"], "pattern": r"^\d{4}-\d\d-\d\d$"},
        "statuses_count": INT,
        "followers_count": INT,
        "following_count": INT,
    }
)
CREDENTIAL_ACCOUNT = {
    "allOf": [
        ACCOUNT,
        entity(
            {
                "source": entity(
                    {
                        "note": STR,
                        "fields": LIST,
                        "privacy": {"enum": ["public", "unlisted", "private", "direct"]},
                        "sensitive": BOOL,
                        "language": STR,
                        "follow_requests_count": INT,
                    }
                )
            }
        ),
    ]
}
RELATIONSHIP = entity(
    {
        "id": ID,
        "following": BOOL,
        "showing_reblogs": BOOL,
        "notifying": BOOL,
        "followed_by": BOOL,
        "blocking": BOOL,
        "blocked_by": BOOL,
        "muting": BOOL,
        "muting_notifications": BOOL,
        "requested": BOOL,
        "requested_by": BOOL,
        "domain_blocking": BOOL,
        "endorsed": BOOL,
        "note": STR,
    }
)
APPLICATION = entity(
    {
        "name": STR,
        "website": NSTR,
        "scopes": {"type": "array", "items": STR},
        "redirect_uris": {"type": "array", "items": STR},
    }
)
CREDENTIAL_APPLICATION = {
    "allOf": [
        APPLICATION,
        entity({"client_id": STR, "client_secret": STR, "client_secret_expires_at": INT}),
    ]
}
TOKEN = entity({"access_token": STR, "token_type": STR, "scope": STR, "created_at": INT})
INSTANCE_V1 = entity(
    {
        "uri": STR,
        "title": STR,
        "short_description": STR,
        "description": STR,
        "email": STR,
        "version": STR,
        "urls": entity({"streaming_api": STR}),
        "stats": entity({"user_count": INT, "status_count": INT, "domain_count": INT}),
        "thumbnail": NSTR,
        "languages": LIST,
        "registrations": BOOL,
        "approval_required": BOOL,
        "invites_enabled": BOOL,
        "configuration": {"type": "object"},
        "contact_account": {"type": ["object", "null"]},
        "rules": LIST,
    }
)
INSTANCE_V2 = entity(
    {
        "domain": STR,
        "title": STR,
        "version": STR,
        "source_url": STR,
        "description": STR,
        "usage": entity({"users": entity({"active_month": INT})}),
        "thumbnail": entity({"url": STR}),
        "languages": LIST,
        "configuration": entity(
            {
                "urls": entity({"streaming": STR}),
                "accounts": {"type": "object"},
                "statuses": entity(
                    {
                        "max_characters": INT,
                        "max_media_attachments": INT,
                        "characters_reserved_per_url": INT,
                    }
                ),
                "media_attachments": {"type": "object"},
                "polls": {"type": "object"},
                "translation": entity({"enabled": BOOL}),
            }
        ),
        "registrations": entity({"enabled": BOOL, "approval_required": BOOL}),
        "contact": entity({"email": STR}),
        "rules": LIST,
    }
)

MEDIA_ATTACHMENT = entity(
    {
        "id": ID,
        "type": {"enum": ["unknown", "image", "gifv", "video", "audio"]},
        "url": STR,
        "preview_url": NSTR,
        "remote_url": NSTR,
        "meta": {"type": "object"},
        "description": NSTR,
        "blurhash": NSTR,
    }
)
MENTION = entity({"id": ID, "username": STR, "url": STR, "acct": STR})
TAG = entity({"name": STR, "url": STR})
STATUS = entity(
    {
        "id": ID,
        "uri": STR,
        "created_at": TIME,
        "account": ACCOUNT,
        "content": STR,
        "visibility": {"enum": ["public", "unlisted", "private", "direct"]},
        "sensitive": BOOL,
        "spoiler_text": STR,
        "media_attachments": {"type": "array", "items": MEDIA_ATTACHMENT},
        "application": {"type": ["object", "null"]},
        "mentions": {"type": "array", "items": MENTION},
        "tags": {"type": "array", "items": TAG},
        "emojis": LIST,
        "reblogs_count": INT,
        "favourites_count": INT,
        "replies_count": INT,
        "url": NSTR,
        "in_reply_to_id": {"type": ["string", "null"]},
        "in_reply_to_account_id": {"type": ["string", "null"]},
        "reblog": {"type": ["object", "null"]},
        "poll": {"type": ["object", "null"]},
        "card": {"type": ["object", "null"]},
        "language": NSTR,
        "text": NSTR,
        "edited_at": NTIME,
        "favourited": BOOL,
        "reblogged": BOOL,
        "muted": BOOL,
        "bookmarked": BOOL,
        "pinned": BOOL,
        "filtered": LIST,
    },
    optional=("text", "application", "favourited", "reblogged", "muted", "bookmarked",
              "pinned", "filtered"),
)  # fmt: skip
STATUS_EDIT = entity(
    {
        "content": STR,
        "spoiler_text": STR,
        "sensitive": BOOL,
        "created_at": TIME,
        "account": ACCOUNT,
        "poll": {"type": ["object", "null"]},
        "media_attachments": {"type": "array", "items": MEDIA_ATTACHMENT},
        "emojis": LIST,
    },
    optional=("poll",),
)
CONTEXT = entity(
    {
        "ancestors": {"type": "array", "items": STATUS},
        "descendants": {"type": "array", "items": STATUS},
    }
)
NOTIFICATION = entity(
    {
        "id": ID,
        "type": {
            "enum": ["mention", "status", "reblog", "follow", "follow_request", "favourite",
                     "poll", "update", "admin.sign_up", "admin.report"]
        },
        "created_at": TIME,
        "account": ACCOUNT,
        "status": {"anyOf": [STATUS, {"type": "null"}]},
    },
    optional=("status",),
)  # fmt: skip
TREND_TAG = entity(
    {
        "name": STR,
        "url": STR,
        "history": {
            "type": "array",
            "items": entity({"day": STR, "uses": STR, "accounts": STR}),
        },
    }
)
SEARCH = entity(
    {
        "accounts": {"type": "array", "items": ACCOUNT},
        "statuses": {"type": "array", "items": STATUS},
        "hashtags": {"type": "array", "items": TAG},
    }
)
CONVERSATION = entity(
    {
        "id": ID,
        "unread": BOOL,
        "accounts": {"type": "array", "items": ACCOUNT},
        "last_status": {"anyOf": [STATUS, {"type": "null"}]},
    }
)


def check(instance, schema) -> None:
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)
