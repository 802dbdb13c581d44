"""Every kind of update the Bot API sends, generated: the bot never fails on one, changes stored
state only when the update asks for it, and answers whoever is on the other side.

The bot takes a second to start, so one bot serves all the examples of a test. Each example pushes
a burst of updates at once (as Telegram hands them out after a busy moment) and, once the bot has
gone quiet, checks what it said, to whom, and what it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.survey.flow import InvalidAnswer, check_answer, current_question
from bot.survey.links import decode_payload
from bot.survey.loader import load_catalogue
from bot.survey.model import LANGUAGES, PlacedQuestion
from bot.telegram import callback_data
from tests.telegram.harness import REPO, SAYING, BotProcess, Person
from tests.telegram.standin import BOT_USER, BotApiStandIn

JSON = dict[str, Any]
SURVEYS = load_catalogue(REPO / "bot" / "surveys")
MATURITY = SURVEYS["cx-maturity"].title("en")
ME = str(BOT_USER["username"])
PRIVATE_ONLY = "I work in private chat: open a chat with me to answer a questionnaire."
EDITS_IGNORED = (
    "Edits are not taken into account: send a new message to answer,"
    " or go back to change an earlier answer."
)
OURS = ["start", "help", "language", "stop", "surveys", "summary", "export", "link", "pulse"]
"""The bot's commands (the last five are the admins')."""
IN_GROUPS = ["start", "help"]
"""The commands a group gets an answer to (where to find the bot); the rest get nothing."""
COMMANDS = [*OURS, "START", "Help", "settings", "frobnicate", "x_y_z"]
COMMAND_TOKEN = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
"""What Telegram marks as a bot_command entity at the start of a text."""
SETTLE = 0.3
"""Seconds without a new call before the bot counts as done with a burst."""
WITHIN = 15.0
"""Seconds a burst's answers may take before the checks report what is missing."""


# who is there


@dataclass(frozen=True)
class InProgress:
    """A person half-way through a survey, as the bot has stored it right now."""

    user: JSON
    response_id: int
    question: PlacedQuestion
    messages: tuple[JSON, ...]
    """The bot's messages in their chat, oldest first (what their buttons hang on)."""


@dataclass
class World:
    clicker: InProgress
    """On a question answered with buttons: whatever they type is refused."""
    typist: InProgress
    """On a question answered with text: any new text message of theirs would be the answer."""
    victim: InProgress
    """Never does anything here; their response is what the others forge taps for."""
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(8_000_000_001))
    """Fresh ids for people (and groups) who have never talked to the bot."""
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(500_000))
    query_ids: Iterator[int] = field(default_factory=lambda: itertools.count(900_000))

    @property
    def respondents(self) -> tuple[InProgress, ...]:
        return (self.clicker, self.typist, self.victim)

    def fresh(self) -> int:
        return next(self.ids)


@dataclass(frozen=True)
class Event:
    """One update and what it is owed."""

    update: JSON
    answer_in: int | None = None
    """A private chat where a person wrote: the bot must say something there."""
    notice_in: int | None = None
    """A group where a command for this bot was sent: exactly one 'I work in private chat'."""
    silent_to: int | None = None
    """A chat (or user) nobody on the other side expects anything from: nothing is said there."""
    query: str | None = None
    """A callback query id: it must be answered."""
    sender: int | None = None
    """Who the bot may record as a new user for this update (a first contact)."""


# the pieces of an update


def now() -> int:
    return int(time.time())


def private(user: JSON) -> JSON:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def with_command(message: JSON, text: str, entity: bool = True) -> JSON:
    """A text, with the bot_command entity Telegram adds to a leading command (some clients and
    servers leave it out)."""
    message["text"] = text
    token = COMMAND_TOKEN.match(text)
    if token and entity:
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": token.end()}]
    return message


def for_this_bot(text: str, commands: Sequence[str] = OURS) -> bool:
    """A leading command of this bot's, for it or for any bot (`/help`, `/help@cxbot_test_bot`;
    not `/help@other_bot`, nor a command this bot does not have)."""
    token = COMMAND_TOKEN.match(text)
    if token is None:
        return False
    name, _, to = token[0][1:].partition("@")
    return name.lower() in commands and to.lower() in {"", ME.lower()}


def starts_a_survey(text: str) -> bool:
    """`/start <survey>` (a deep link): new or restarted responses are what it is for."""
    words = text.split()
    if len(words) < 2 or words[0].lower() not in {"/start", f"/start@{ME}".lower()}:
        return False
    target = decode_payload(words[1])
    return target is not None and target.survey_id in SURVEYS


def accepts(question: PlacedQuestion, value: str | None) -> bool:
    try:
        check_answer(question, value)
    except InvalidAnswer:
        return False
    return True


def changes_state(data: str | None, own: InProgress | None) -> bool:
    """Whether a tap with this data is a real request to change something: starting a survey,
    choosing a language, starting over, going back, or a fitting answer to one's own current
    question. Those are excluded: everything else must change nothing."""
    current = own.question.index if own else None
    mine = own.response_id if own else None
    match callback_data.decode(data):
        case callback_data.StartSurvey(survey_id=survey_id):  # only what the menu offers
            survey = SURVEYS.get(survey_id)
            return survey is not None and survey.public and survey.repeat != "wave"
        case callback_data.ChooseLanguage(language=language):
            return language in LANGUAGES
        case callback_data.Resume(response_id=response_id, restart=restart):
            return restart and response_id == mine
        case callback_data.Back(response_id=response_id, question_index=index):
            return response_id == mine and index == current
        case callback_data.Answer(response_id=response_id, question_index=index, value=value):
            return (
                own is not None
                and response_id == mine
                and index == current
                and accepts(own.question, value)
            )
    return False


# generated content

EMPTYISH = [" ", "  \n ", "\u3000", "\u00a0", "\u200b", "\u2800", "\x1c", "\x00", ".", "\u200f"]
RTL = [
    "مرحبا، كيف حالك؟",
    "الخدمة كانت بطيئة جدا",
    "שלום, השירות היה מצוין",
    "\u200fתודה רבה\u200f",
    "abc مرحبا 123 שלום",
]
EMOJI = "🙂👍🏽❤️‍🔥🇫🇷🤷‍♀️😡💯🧑🏿‍💻"
LONG = "Service lent, personnel aimable. Очень долго ждали. 🙂 مرحبا שלום "


def long_text(size: int) -> str:
    return (LONG * (size // len(LONG) + 1))[:size]


texts = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(EMPTYISH),
    st.sampled_from(RTL),
    st.text(alphabet=EMOJI, min_size=1, max_size=12),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=6),
    st.integers(3900, 4096).map(long_text),
)
arguments = st.one_of(
    st.sampled_from(["../../x", "🙂", "x y z", "de", "nps__", "__desk", "' OR 1=1 --", "%00"]),
    st.sampled_from(["\u202enps", "nps\u200b", "NPS", "nps__" + "d" * 80, "🙂" * 50]),
    st.text(min_size=1, max_size=30),
    st.integers(65, 1000).map(lambda n: ("nps__a-b_" * n)[:n]),
    st.just(long_text(1000)),
)


@st.composite
def commands(draw: st.DrawFn) -> str:
    """A command, maybe addressed to a bot, maybe with junk after it (`/start ../../x`)."""
    name = draw(st.sampled_from(COMMANDS))
    to = draw(st.sampled_from(["", "", f"@{ME}", "@other_bot"]))
    rest = draw(st.one_of(st.just(""), arguments))
    separator = draw(st.sampled_from([" ", " ", "  ", "\n", "\u3000"]))
    return f"/{name}{to}{separator}{rest}" if rest else f"/{name}{to}"


def stranger(world: World, draw: st.DrawFn) -> JSON:
    """Someone who has never talked to the bot, with whatever Telegram tells about them."""
    user: JSON = {
        "id": world.fresh(),
        "is_bot": False,
        "first_name": draw(
            st.one_of(
                st.sampled_from(["Ann", "نور", "דנה", "🙂"]), st.text(min_size=1, max_size=20)
            )
        ),
    }
    language = draw(
        st.sampled_from([None, "en", "ru", "fr", "pt-br", "de", "ar", "he", "", "xx-YY"])
    )
    if language is not None:
        user["language_code"] = language
    if draw(st.booleans()):
        user["username"] = f"user{user['id']}"
    return user


def message(world: World, chat: JSON, sender: JSON | None, **fields: Any) -> JSON:
    shape: JSON = {"message_id": next(world.message_ids), "date": now(), "chat": chat, **fields}
    if sender is not None:
        shape["from"] = sender
    return shape


MEDIA: list[JSON] = [
    {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]},
    {
        "photo": [{"file_id": "p2", "file_unique_id": "up2", "width": 900, "height": 600}],
        "caption": "/start nps",
    },
    {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "us1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
    },
    {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}},
    {"document": {"file_id": "d1", "file_unique_id": "ud1", "file_name": "answers.txt"}},
    {"location": {"latitude": 48.85, "longitude": 2.35}},
    {"contact": {"phone_number": "+33100000000", "first_name": "Ann"}},
    {"dice": {"emoji": "🎲", "value": 4}},
]


# updates in a private chat


@st.composite
def private_messages(draw: st.DrawFn, world: World) -> Event:
    """A new message to the bot: text, command or media, from a respondent or a stranger."""
    who = draw(st.sampled_from(["clicker", "typist", "stranger"]))
    if who == "stranger":
        user = stranger(world, draw)
    else:
        user = world.clicker.user if who == "clicker" else world.typist.user
    kind = draw(st.sampled_from(["text", "command", "media"]))
    if kind == "media":
        shape = message(world, private(user), user, **draw(st.sampled_from(MEDIA)))
    else:
        # new text from the typist would be their answer: they only send commands here
        source = texts if kind == "text" and who != "typist" else commands()
        text = draw(source.filter(lambda t: not starts_a_survey(t)))
        shape = with_command(message(world, private(user), user), text, draw(st.booleans()))
    return Event({"message": shape}, answer_in=user["id"], sender=user["id"])


@st.composite
def edits(draw: st.DrawFn, world: World) -> Event:
    """An old message edited: even an answer or a deep link typed in it is not acted on."""
    user = draw(st.sampled_from([world.clicker.user, world.typist.user]))
    text = draw(
        st.one_of(
            texts, commands(), st.sampled_from(["/start nps", "/start csat", "It was slow", "8"])
        )
    )
    shape = with_command(message(world, private(user), user, edit_date=now()), text)
    return Event({"edited_message": shape}, answer_in=user["id"], sender=user["id"])


def bot_member(status: str) -> JSON:
    member: JSON = {"status": status, "user": BOT_USER}
    if status == "kicked":
        member["until_date"] = 0  # for ever
    return member


@st.composite
def blocks(draw: st.DrawFn, world: World) -> Event:
    """The person blocked the bot (or unblocked it): nobody is there to read a message."""
    respondent = draw(st.sampled_from([None, world.clicker, world.typist]))
    user = stranger(world, draw) if respondent is None else respondent.user
    old, new = draw(st.sampled_from([("member", "kicked"), ("kicked", "member")]))
    update = {
        "my_chat_member": {
            "chat": private(user),
            "from": user,
            "date": now(),
            "old_chat_member": bot_member(old),
            "new_chat_member": bot_member(new),
        }
    }
    return Event(update, silent_to=user["id"] if respondent is None else None)


@st.composite
def business_messages(draw: st.DrawFn, world: World, kind: str | None = None) -> Event:
    """A customer writing to a business account the bot is connected to: not to the bot."""
    user = draw(st.one_of(st.just(world.typist.user), st.none()))
    if user is None:
        user = stranger(world, draw)
    kind = kind or draw(st.sampled_from(["business_message", "edited_business_message"]))
    text = draw(st.one_of(texts, commands(), st.just("It was slow")))
    shape = with_command(message(world, private(user), user), text)
    shape["business_connection_id"] = "business-1"
    if kind == "edited_business_message":
        shape["edit_date"] = now()
    silent = None if user is world.typist.user else user["id"]
    return Event({kind: shape}, silent_to=silent)


# groups and channels


@st.composite
def group_messages(draw: st.DrawFn, world: World) -> Event:
    """Text, a command or media in a group: only a command for this bot gets an answer, and it
    is only where to find the bot. Commands for other bots, or that no bot here may have, are
    the group's chatter."""
    kind = draw(st.sampled_from(["group", "supergroup"]))
    chat_id = -world.fresh() if kind == "group" else -(10**12 + world.fresh())
    chat = {"id": chat_id, "type": kind, "title": draw(st.sampled_from(["Team", "Équipe", "فريق"]))}
    user = draw(st.one_of(st.just(world.clicker.user), st.none()))
    if user is None:
        user = stranger(world, draw)
    what = draw(st.sampled_from(["text", "command", "media", "joined", "edited"]))
    if what == "media":
        shape = message(world, chat, user, **draw(st.sampled_from(MEDIA)))
        return Event({"message": shape}, silent_to=chat_id)
    if what == "joined":
        shape = message(world, chat, user, new_chat_members=[BOT_USER])
        return Event({"message": shape}, silent_to=chat_id)
    text = draw(texts if what == "text" else commands())
    shape = with_command(message(world, chat, user), text)
    if what == "edited":
        shape["edit_date"] = now()
        return Event({"edited_message": shape}, silent_to=chat_id)
    if "entities" in shape and for_this_bot(text, IN_GROUPS):
        return Event({"message": shape}, notice_in=chat_id, sender=user["id"])
    return Event({"message": shape}, silent_to=chat_id)


@st.composite
def channel_posts(draw: st.DrawFn, world: World, kind: str | None = None) -> Event:
    """A post (or an edited one) in a channel the bot is in: nobody to answer."""
    chat_id = -(10**12 + world.fresh())
    chat = {"id": chat_id, "type": "channel", "title": "News"}
    kind = kind or draw(st.sampled_from(["channel_post", "edited_channel_post"]))
    text = draw(st.one_of(texts, commands()))
    shape = with_command(message(world, chat, None, sender_chat=chat), text)
    if kind == "edited_channel_post":
        shape["edit_date"] = now()
    return Event({kind: shape}, silent_to=chat_id)


# everything else the Bot API sends


OTHER_KINDS = [
    "inline_query",
    "chosen_inline_result",
    "poll",
    "poll_answer",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "shipping_query",
    "pre_checkout_query",
    "chat_boost",
    "removed_chat_boost",
    "business_connection",
    "deleted_business_messages",
    "purchased_paid_media",
    "managed_bot",
    "guest_message",
]


@st.composite
def other_updates(draw: st.DrawFn, world: World, kind: str | None = None) -> Event:
    """Inline queries, polls, reactions, payments, boosts, members, business and managed bots,
    guest messages: none is meant for a survey, none gets a message."""
    user = stranger(world, draw)
    chat: JSON = {"id": -world.fresh(), "type": "supergroup", "title": "Team"}
    kind = kind or draw(st.sampled_from(OTHER_KINDS))
    query = draw(st.one_of(texts, st.just("")))
    source = {"source": "premium", "user": user}
    bodies: dict[str, JSON] = {
        "inline_query": {"id": "iq1", "from": user, "query": query, "offset": ""},
        "chosen_inline_result": {"result_id": "r1", "from": user, "query": query},
        "poll": {
            "id": "poll-1",
            "question": query or "?",
            "options": [
                {"persistent_id": "o1", "text": "Yes", "voter_count": 1},
                {"persistent_id": "o2", "text": "No", "voter_count": 0},
            ],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        },
        "poll_answer": {
            "poll_id": "poll-1",
            "user": user,
            "option_ids": [0],
            "option_persistent_ids": ["o1"],
        },
        "chat_member": {
            "chat": chat,
            "from": user,
            "date": now(),
            "old_chat_member": {"status": "left", "user": user},
            "new_chat_member": {"status": "member", "user": user},
        },
        "chat_join_request": {
            "chat": chat,
            "from": user,
            "user_chat_id": user["id"],
            "date": now(),
        },
        "message_reaction": {
            "chat": private(user),
            "message_id": 1,
            "user": user,
            "date": now(),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        },
        "message_reaction_count": {
            "chat": chat,
            "message_id": 1,
            "date": now(),
            "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 2}],
        },
        "shipping_query": {
            "id": "sq1",
            "from": user,
            "invoice_payload": query,
            "shipping_address": {
                "country_code": "FR",
                "state": "",
                "city": "Paris",
                "street_line1": "1 rue",
                "street_line2": "",
                "post_code": "75001",
            },
        },
        "pre_checkout_query": {
            "id": "pq1",
            "from": user,
            "currency": "EUR",
            "total_amount": 100,
            "invoice_payload": query,
        },
        "chat_boost": {
            "chat": chat,
            "boost": {
                "boost_id": "b1",
                "add_date": now(),
                "expiration_date": now() + 86400,
                "source": source,
            },
        },
        "removed_chat_boost": {
            "chat": chat,
            "boost_id": "b1",
            "remove_date": now(),
            "source": source,
        },
        "business_connection": {
            "id": "business-1",
            "user": user,
            "user_chat_id": user["id"],
            "date": now(),
            "is_enabled": True,
        },
        "deleted_business_messages": {
            "business_connection_id": "business-1",
            "chat": private(user),
            "message_ids": [1, 2],
        },
        "purchased_paid_media": {"from": user, "paid_media_payload": query},
        "managed_bot": {
            "user": user,
            "bot": {"id": world.fresh(), "is_bot": True, "first_name": "Helper"},
        },
        "guest_message": with_command(
            message(world, chat, user, guest_query_id="gq1"), query or "/start", True
        ),
    }
    about_a_chat = {"message_reaction_count", "chat_boost", "removed_chat_boost"}
    silent = int(chat["id"] if kind in about_a_chat else user["id"])
    return Event({kind: bodies[kind]}, silent_to=silent)


# taps


nonces = st.from_regex(r"[A-Za-z0-9_-]{12}", fullmatch=True)


@st.composite
def forged_data(draw: st.DrawFn, world: World, own: InProgress | None) -> str | None:
    """Callback data no honest tap of this person sends now: garbage, overlong or non-ASCII
    data, other people's responses, answers off the scale, old questions, unknown surveys."""
    response = st.one_of(
        st.sampled_from([r.response_id for r in world.respondents]),
        st.integers(0, 2**53 - 1),
    )
    index = st.one_of(
        st.sampled_from(sorted({r.question.index for r in world.respondents} | {0, 1})),
        st.integers(0, 999),
    )
    value = st.one_of(
        st.sampled_from(["yes", "no", "dk", "0", "10", "11", "08", "-1", "x"]),
        st.from_regex(r"[a-z0-9-]{1,24}", fullmatch=True),
    )
    shapes = st.one_of(
        st.none(),
        st.text(max_size=64),
        st.text(min_size=65, max_size=200),
        st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=64),
        st.builds("a:{}:{}:{}".format, response, index, value),
        st.builds("k:{}:{}".format, response, index),
        st.builds("b:{}:{}".format, response, index),
        st.builds("{}:{}".format, st.sampled_from("cr"), response),
        st.builds("s:{}".format, value),
        st.builds("s:{}".format, st.sampled_from(sorted(SURVEYS))),  # enps is not offered
        st.builds("w:{}:{}:{}".format, response, index, value),  # no wave was sent to anyone
        st.builds("a:{}:{}:{}:{}".format, response, index, value, nonces),
        st.builds("l:{}".format, st.from_regex(r"[a-z]{2}", fullmatch=True)),
    )
    data: str | None = draw(shapes.filter(lambda data: not changes_state(data, own)))
    return data


@st.composite
def taps(draw: st.DrawFn, world: World) -> Event:
    """A callback query with forged data, on a message of the bot's, an inaccessible (old or
    deleted) one, or an inline message."""
    own = draw(st.sampled_from([world.clicker, world.typist, None]))
    user = stranger(world, draw) if own is None else own.user
    query: JSON = {
        "id": f"q{next(world.query_ids)}",
        "from": user,
        "chat_instance": str(user["id"]),
    }
    data = draw(forged_data(world, own))
    if data is not None:
        query["data"] = data
    where = draw(st.sampled_from(["message", "inaccessible", "inline"]))
    message_id = draw(st.integers(1, 10**6))
    if where == "inline":
        query["inline_message_id"] = "inline-1"
    elif where == "inaccessible":
        query["message"] = {"chat": private(user), "message_id": message_id, "date": 0}
    elif own is None or not own.messages:  # a message the bot never sent them: forged
        query["message"] = message(world, private(user), BOT_USER, text="Hello!")
    else:
        query["message"] = dict(draw(st.sampled_from(own.messages)))
    return Event({"callback_query": query}, query=query["id"], sender=user["id"])


def bursts(world: World) -> st.SearchStrategy[list[Event]]:
    kinds = st.one_of(
        private_messages(world),
        taps(world),
        edits(world),
        group_messages(world),
        channel_posts(world),
        blocks(world),
        business_messages(world),
        other_updates(world),
    )
    return st.lists(kinds, min_size=1, max_size=8)


def one_of_each(world: World) -> st.SearchStrategy[list[Event]]:
    """A burst with an update of every type the Bot API has, each with generated content."""
    return st.tuples(
        private_messages(world),
        taps(world),
        edits(world),
        group_messages(world),
        *(channel_posts(world, kind) for kind in ["channel_post", "edited_channel_post"]),
        blocks(world),
        *(business_messages(world, k) for k in ["business_message", "edited_business_message"]),
        *(other_updates(world, kind) for kind in OTHER_KINDS),
    ).map(list)


def message_to_bot(person: Person, chat: JSON | None = None, **fields: Any) -> JSON:
    """A new message from a person, in their private chat with the bot unless told."""
    shape: JSON = {
        "message_id": 20_000 + len(person.api.calls),
        "date": now(),
        "chat": private(person.user) if chat is None else chat,
        "from": person.user,
        **fields,
    }
    return shape


# the bot's side


@dataclass(frozen=True)
class Stored:
    """What the bot has stored that junk must not change."""

    responses: dict[int, tuple[object, ...]]
    """Every column but message_id: which message shows the survey moves with every re-send."""
    answers: list[tuple[object, ...]]
    users: dict[int, tuple[object, ...]]


def stored(bot: BotProcess) -> Stored:
    columns = [row[1] for row in bot.query("PRAGMA table_info(responses)")]
    kept = ", ".join(str(c) for c in columns if c != "message_id")
    return Stored(
        responses={int(str(r[0])): r for r in bot.query(f"SELECT {kept} FROM responses")},
        answers=bot.query("SELECT * FROM answers ORDER BY response_id, question_id"),
        users={
            int(str(r[0])): r
            for r in bot.query("SELECT id, language, telegram_language, created_at FROM users")
        },
    )


def in_progress(bot: BotProcess, person: Person) -> InProgress | None:
    rows = bot.query(
        "SELECT id, survey_id, cursor FROM responses WHERE user_id = ?"
        " AND finished_at IS NULL AND closed_at IS NULL ORDER BY id DESC LIMIT 1",
        person.id,
    )
    if not rows:
        return None
    response_id, survey_id, cursor = rows[0]
    answers = {
        str(q): None if v is None else str(v)
        for q, v in bot.query(
            "SELECT question_id, value FROM answers WHERE response_id = ?", response_id
        )
    }
    survey = SURVEYS[str(survey_id)]
    question = current_question(survey, answers, None if cursor is None else str(cursor))
    assert question is not None
    messages = tuple(m for _, m in sorted(person.chat.items()) if "text" in m)
    return InProgress(person.user, int(str(response_id)), question, messages)


def said(api: BotApiStandIn, since: int, chat_id: int) -> list[str]:
    """Texts the bot sent to a chat since a point in its calls (delivered or not)."""
    return [
        str(c.params.get("text"))
        for c in api.calls[since:]
        if c.method == "sendMessage" and c.chat_id == chat_id
    ]


async def answer_to(api: BotApiStandIn, chat_id: int, update: JSON) -> list[str]:
    """Push one update; what the bot then said in the chat, once it is quiet."""
    since = len(api.calls)
    await api.push(update)
    await api.wait_for(lambda: bool(said(api, since, chat_id)))
    await quiet(api)
    return said(api, since, chat_id)


async def quiet(api: BotApiStandIn) -> None:
    while True:
        count = len(api.calls)
        await asyncio.sleep(SETTLE)
        if len(api.calls) == count:
            return


class Cast:
    """Three people half-way through surveys. One whose survey ended (while a failure is being
    found) is replaced by a newcomer brought to the same point, so every example starts alike."""

    def __init__(self, api: BotApiStandIn, bot: BotProcess) -> None:
        self.api = api
        self.bot = bot
        self.people: dict[str, Person] = {}
        self.ids = itertools.count(5101)
        self.fresh_ids = itertools.count(8_000_000_001)
        """Shared by all examples: a stranger, group or query id is never used twice."""
        self.message_ids = itertools.count(500_000)
        self.query_ids = itertools.count(900_000)

    async def world(self) -> World:
        found: dict[str, InProgress] = {}
        for role in ("clicker", "typist", "victim"):
            person = self.people.get(role)
            state = None if person is None else in_progress(self.bot, person)
            if state is None:
                person = self.people[role] = await self._bring(role)
                state = in_progress(self.bot, person)
                assert state is not None
            found[role] = state
        return World(
            clicker=found["clicker"],
            typist=found["typist"],
            victim=found["victim"],
            ids=self.fresh_ids,
            message_ids=self.message_ids,
            query_ids=self.query_ids,
        )

    async def _bring(self, role: str) -> Person:
        if role == "clicker":
            clicker = Person(self.api, next(self.ids), "en", "Clara")
            await clicker.send("/start")
            await clicker.tap(MATURITY)
            await clicker.tap("Yes")
            await clicker.tap("Yes")
            assert "3/32" in clicker.text
            return clicker
        if role == "typist":
            typist = Person(self.api, next(self.ids), "en", "Tariq")
            await typist.send("/start nps")
            await typist.tap("3")
            assert "What disappointed you?" in typist.text
            return typist
        victim = Person(self.api, next(self.ids), "fr", "Vera")
        await victim.send("/start")
        await victim.tap(SURVEYS["cx-maturity"].title("fr"))
        await victim.tap("Non")
        return victim


@pytest.fixture
async def cast(api: BotApiStandIn, bot: BotProcess) -> Cast:
    cast = Cast(api, bot)
    await cast.world()
    return cast


async def push_and_settle(api: BotApiStandIn, events: Sequence[Event]) -> None:
    """Push the burst, wait until every query is answered and every person has heard back (or
    the time is up: the checks then say what is missing), then until the bot is quiet."""
    since = len(api.calls)
    pushed = [await api.push(event.update) for event in events]
    due = Counter(e.answer_in for e in events if e.answer_in is not None)
    queries = [e.query for e in events if e.query is not None]

    def done() -> bool:
        return (
            all(u in api.delivered for u in pushed)
            and all(api.answered(q) for q in queries)
            and all(len(said(api, since, chat)) >= n for chat, n in due.items())
        )

    with contextlib.suppress(TimeoutError):
        await api.wait_for(done, within=WITHIN)
    await quiet(api)


# the properties


async def prove(api: BotApiStandIn, bot: BotProcess, events: Sequence[Event]) -> None:
    """Push a burst and check that, once the bot is done with it:

    1. the bot keeps running and has logged no failure;
    2. stored surveys are exactly as they were: no response or answer changes, appears or goes
       (only the id of the message showing a survey may move, when the bot shows it again).
       The users table may gain a row for someone who wrote or tapped, and only for them: their
       first contact, kept so that their language is known, with no language chosen yet. Known
       users stay as they were;
    3. a person who wrote in private hears back (at least one message per message they sent:
       which reply answers which is not told apart), every tap is answered, a group hears only
       "I work in private chat", once per command for this bot, and nothing at all is said to a
       channel, to a group's chatter, to a blocked chat, or to whoever sent an update that is
       not a message to the bot.
    """
    for kind in {next(iter(e.update)) for e in events}:
        event(kind)  # --hypothesis-show-statistics: how many bursts had each kind
    before = stored(bot)
    log_from = len(bot.log_text())
    since = len(api.calls)

    await push_and_settle(api, events)

    assert bot.process is not None and bot.process.returncode is None, "the bot stopped"
    log = bot.log_text()[log_from:]
    assert "Traceback" not in log and "update failed" not in log, log

    after = stored(bot)
    assert after.responses == before.responses
    assert after.answers == before.answers
    assert {k: after.users.get(k) for k in before.users} == before.users
    senders = {e.sender for e in events}
    for user_id in after.users.keys() - before.users.keys():
        assert user_id in senders, f"{user_id} recorded without writing or tapping"
        assert after.users[user_id][1] is None, "a language chosen for a new user"

    unanswered = [e.query for e in events if e.query is not None and not api.answered(e.query)]
    assert unanswered == []
    for chat, count in Counter(e.answer_in for e in events if e.answer_in).items():
        assert len(said(api, since, chat)) >= count, f"no answer in chat {chat}"
    for chat, count in Counter(e.notice_in for e in events if e.notice_in).items():
        assert said(api, since, chat) == [PRIVATE_ONLY] * count
    for chat in {e.silent_to for e in events if e.silent_to is not None}:
        assert [c for c in api.calls[since:] if c.chat_id == chat and c.method in SAYING] == []


LIVE = settings(
    deadline=None,
    derandomize=True,
    # an example is a burst through a live bot (a third of a second or more): a failing one is
    # reported as found rather than shrunk through hundreds more
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""One bot for all the examples of a test: the fixtures are meant to be shared by them."""


@settings(LIVE, max_examples=30)
@given(data=st.data())
async def test_any_mix_of_updates_leaves_the_bot_up_the_surveys_as_they_were_people_answered(
    api: BotApiStandIn, bot: BotProcess, cast: Cast, data: st.DataObject
) -> None:
    """Up to eight updates of any kinds at once, from people half-way through surveys, people
    new to the bot, groups and channels: see `prove` for what must hold."""
    world = await cast.world()
    await prove(api, bot, data.draw(bursts(world), label="updates"))


@settings(LIVE, max_examples=8)
@given(data=st.data())
async def test_every_update_type_at_once_leaves_the_bot_up_the_surveys_as_they_were_people_answered(
    api: BotApiStandIn, bot: BotProcess, cast: Cast, data: st.DataObject
) -> None:
    """Every type of update the Bot API sends, all in one burst, so that none is left to chance:
    see `prove` for what must hold."""
    world = await cast.world()
    await prove(api, bot, data.draw(one_of_each(world), label="updates"))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_generated_update_is_one_python_telegram_bot_reads_as_its_kind(
    data: st.DataObject,
) -> None:
    """The shapes above are real updates, or the properties would be proved about nothing."""
    fake = InProgress(
        {"id": 5101, "is_bot": False, "first_name": "Clara", "language_code": "en"},
        7,
        SURVEYS["nps"].questions[0],
        (),
    )
    world = World(clicker=fake, typist=fake, victim=fake)
    every = data.draw(one_of_each(world))
    assert {next(iter(e.update)) for e in every} == set(Update.ALL_TYPES)
    for generated in [*every, *data.draw(bursts(world))]:
        (kind,) = generated.update
        update = Update.de_json({"update_id": 1, **generated.update}, None)
        parsed = getattr(update, kind)
        assert parsed is not None, kind
        assert not parsed.api_kwargs, f"{kind}: fields the Bot API does not have"


async def test_an_edited_message_is_not_taken_as_an_answer_and_the_person_is_told(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """Telegram sends the edit of any old message as an update. Read as newly typed text, a typo
    fixed in a message sent long before would silently answer the question on screen now."""
    customer = Person(api, 5201, "en")
    await customer.send("hi")
    await customer.send("/start nps")
    await customer.tap("3")
    question = customer.text
    assert "What disappointed you?" in question
    hi: JSON = {
        "message_id": 10_000,
        "date": now() - 60,
        "edit_date": now(),
        "chat": private(customer.user),
        "from": customer.user,
        "text": "hi there",
    }
    assert await answer_to(api, customer.id, {"edited_message": hi}) == [EDITS_IGNORED]
    assert bot.query("SELECT question_id, value FROM answers") == [("recommend", "3")]
    assert customer.texts()[-2:] == [question, EDITS_IGNORED], "still on the same question"


async def test_a_photo_or_a_sticker_is_not_an_answer_and_the_person_is_told_what_is_read(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """Someone asked to type why may send a photo or a voice message instead: silence would
    leave them waiting for a bot that did not read it."""
    customer = Person(api, 5301, "en")
    await customer.send("/start nps")
    await customer.tap("3")
    for media in MEDIA:
        answer = await answer_to(api, customer.id, {"message": message_to_bot(customer, **media)})
        assert answer == ["I can only read text messages and taps on buttons."], media
    assert bot.query("SELECT question_id, value FROM answers") == [("recommend", "3")]


async def test_a_text_of_blank_characters_is_answered_as_text_instead_of_failing(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """A text of nothing but Unicode spaces or separators (\\u3000, \\x1c) has no first word:
    looking for a typed command in it must not fail the update, in private or in a group."""
    person = Person(api, 5401, "en")
    group = {"id": -5401, "type": "group", "title": "Team"}
    for blank in ["\u3000", "\x1c", " \n "]:
        await api.push({"message": message_to_bot(person, chat=group, text=blank)})
        answer = await answer_to(api, person.id, {"message": message_to_bot(person, text=blank)})
        assert answer == ["To take a survey, send /start."]
    assert said(api, 0, -5401) == []
    assert "update failed" not in bot.log_text()


async def test_updates_not_addressed_to_this_bot_get_nothing_from_it(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    """A command for another bot in a group, a customer's message to a business account the
    bot is connected to, a message in a chat where the bot is a guest: answering any of them
    would speak out of turn (or, for the customer, in a chat they never opened)."""
    person = Person(api, 5501, None)
    group = {"id": -5501, "type": "supergroup", "title": "Team"}
    updates: list[JSON] = [
        {"message": with_command(message_to_bot(person, chat=group), "/help@other_bot")},
        {"message": with_command(message_to_bot(person, chat=group), "/weather Paris")},
        {"edited_message": with_command(message_to_bot(person, chat=group), "/help")},
        {"business_message": message_to_bot(person, text="/start nps", business_connection_id="b")},
        {"guest_message": message_to_bot(person, chat=group, text="/start", guest_query_id="g")},
    ]
    for update in updates:
        await api.push(update)
    await api.wait_for(lambda: all(u in api.delivered for u in range(1, len(updates) + 1)))
    await quiet(api)
    assert [c for c in api.calls if c.method in SAYING] == []
    assert bot.query("SELECT id FROM users") == [], "nobody wrote to the bot"
