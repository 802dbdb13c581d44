"""The attacker's view of eNPS pulses, end to end.

Forged buttons: only invited people answer, once per wave, and only the person whose message
holds a response's nonce can go on with it. Then the database reader who also holds the token
and every setting: after a wave with early, late and silent members, nothing in the file ties
an anonymous answer to a member.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.telegram.harness import ADMIN, TOKEN, BotProcess, Person, invite
from tests.telegram.standin import BotApiStandIn

PULSE = "Time for your team's pulse."
NOT_VALID = "This button is not valid any more."
DAY = " 00:00:00.000"


async def joined(api: BotApiStandIn, user_id: int, team: str, language: str = "en") -> Person:
    """A member who opened the team's invite link."""
    start = await invite(Person(api, ADMIN, "en"), team)
    person = Person(api, user_id, language)
    await person.send(start)
    return person


def count(bot: BotProcess, table: str) -> int:
    ((n,),) = bot.query(f"SELECT count(*) FROM {table}")
    return int(str(n))


def buttons_data(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup")
    assert isinstance(markup, dict)
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


# only invited people answer


async def test_a_forged_menu_button_for_enps_is_refused(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    stranger = Person(api, 40001, "en")
    await stranger.send("/start")
    assert await stranger.tap_data("s:enps") == NOT_VALID
    assert await stranger.tap_data("s:no-such-survey") == NOT_VALID
    assert count(bot, "responses") == 0
    await stranger.tap("Would you recommend us?")  # a public survey still starts from the menu
    assert count(bot, "responses") == 1


async def test_a_forged_wave_button_is_refused_to_whoever_the_wave_was_not_sent_to(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    member = await joined(api, 40101, "sales")
    other_team = await joined(api, 40102, "legal")
    stranger = Person(api, 40103, "en")
    await stranger.send("/start enps")  # a deep link without a wave
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse now enps sales")
    await admin.send("/pulse now enps legal")
    await member.expect(PULSE)
    await other_team.expect(PULSE)
    sales_wave = buttons_data(member.last)[9]
    assert re.fullmatch(r"w:1:0:9", sales_wave), "the first question's buttons name the wave"

    assert await stranger.tap_data(sales_wave) == NOT_VALID
    assert await other_team.tap_data(sales_wave, other_team.last) == NOT_VALID
    assert await stranger.tap_data("w:3:0:9") == NOT_VALID, "no such wave"
    assert await member.tap_data("w:1:1:9", member.last) == NOT_VALID, "not the first question"
    assert count(bot, "responses") == 0
    assert count(bot, "participations") == 0

    await other_team.tap("9")  # their own wave works
    assert count(bot, "responses") == 1


async def test_someone_elses_response_cannot_be_tapped_without_its_nonce(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    owner = await joined(api, 40201, "ops")
    colleague = await joined(api, 40202, "ops")
    await Person(api, ADMIN, "en").send("/pulse now enps ops")
    await owner.expect(PULSE)
    await colleague.expect(PULSE)
    await owner.tap("7")
    skip, back = sorted(buttons_data(owner.last), key=lambda d: d[0], reverse=True)
    match = re.fullmatch(r"k:(\d+):(\d+):([A-Za-z0-9_-]{12})", skip)
    assert match is not None and back.startswith("b:") and back.endswith(match[3])
    response, question, nonce = match[1], match[2], match[3]
    assert 2**40 <= int(response) < 2**52

    guessed = "A" * 12 if nonce != "A" * 12 else "B" * 12
    forged = [
        f"k:{response}:{question}",  # no nonce
        f"k:{response}:{question}:{guessed}",
        f"b:{response}:{question}:{guessed}",
        f"a:{response}:0:9:{guessed}",
        f"c:{response}",  # continue: never for an anonymous response
        f"r:{response}",  # start over: neither
    ]
    for data in forged:
        assert await colleague.tap_data(data, colleague.last) == NOT_VALID, data
    assert await owner.tap_data(f"k:{response}:{question}") == NOT_VALID, "the owner needs it too"
    assert bot.query("SELECT finished_at, cursor FROM responses") == [(None, None)]
    assert bot.query("SELECT question_id, value FROM answers") == [("recommend", "7")]

    await owner.tap("Skip")
    assert "Your answer is anonymous" in owner.text


async def test_a_member_answers_a_wave_once(api: BotApiStandIn, bot: BotProcess) -> None:
    member = await joined(api, 40301, "hr")
    await Person(api, ADMIN, "en").send("/pulse now enps hr")
    await member.expect(PULSE)
    first_question = dict(member.last)
    await member.tap("10")
    await member.tap("Skip")
    assert "Your answer is anonymous" in member.text
    notice = await member.tap("3", first_question)  # the first question's buttons, as sent
    assert notice == "This survey is already finished. Send /start to take another one."
    assert bot.query("SELECT value FROM answers WHERE question_id = 'recommend'") == [("10",)]
    assert count(bot, "responses") == 1


# the database reader who holds every secret


MEMBERS = [  # (id, language), in the order they join: not the order of their ids
    (30517, "ru"),
    (30503, "en"),
    (30529, "fr"),
    (30511, "pt"),
    (30541, "en"),
    (30507, "ru"),
    (30533, "fr"),
    (30521, "en"),
]


def digests(key: bytes, message: bytes) -> set[bytes]:
    """Ways a program could have hashed a person: keyed or not, hex or raw, whole or cut."""
    found = set()
    for digest in (
        hmac.new(key, message, hashlib.sha256).digest(),
        hashlib.sha256(key + message).digest(),
        hashlib.sha256(message).digest(),
    ):
        found |= {digest, digest.hex().encode(), digest.hex()[:32].encode()}
    return found


def sent_to(api: BotApiStandIn, person: Person) -> int:
    """Messages the bot sent to the person (whatever their language)."""
    return sum(
        1 for c in api.calls if c.method == "sendMessage" and c.ok and c.chat_id == person.id
    )


async def skip(person: Person, message: dict[str, object]) -> None:
    """Tap Skip (its label is in the person's language) on a message."""
    (data,) = [d for d in buttons_data(message) if d.startswith("k:")]
    assert await person.tap_data(data, dict(message)) is None


def file_bytes(database: Path) -> bytes:
    folder = database.parent
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith(database.name))


async def test_the_database_and_every_secret_do_not_tell_whose_answer_is_whose(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    people = [await joined(api, user_id, "floor", language) for user_id, language in MEMBERS]
    admin = Person(api, ADMIN, "en")
    await admin.send("/pulse now enps floor 0.005")  # the reminder after 18 seconds
    for person in people:  # the invite's answer, then the pulse
        await api.wait_for(lambda p=person: sent_to(api, p) == 2)  # type: ignore[misc]
    early, half, late, silent = people[:3], people[3], people[4:6], people[6:]
    for person, score in zip(early, ["9", "10", "3"], strict=True):
        await person.tap(score)
        await skip(person, person.last)
    await half.tap("7")
    pulse_of_half = half.last["message_id"]

    for person in (half, *late, *silent):  # the reminder
        await api.wait_for(lambda p=person: sent_to(api, p) == 3, within=40)  # type: ignore[misc]
    assert half.buttons() == [], "started: pointed at the pulse's message"
    assert all(sent_to(api, p) == 2 for p in early), "finished: no reminder"
    await skip(half, half.chat[pulse_of_half])
    for person, score in zip(late, ["8", "2"], strict=True):
        await person.tap(score)  # the reminder brings the first question again
        await person.send(f"comment of the {score}")
    finished = bot.query("SELECT count(*) FROM responses WHERE finished_at IS NOT NULL")
    assert finished == [(6,)]

    # the wave ends: what is left is what an attacker reads
    bot.query("UPDATE waves SET closes_at = '2000-01-01 00:00:00.000'")
    await api.wait_for(lambda: bot.query("SELECT closed_at IS NOT NULL FROM waves") == [(1,)])
    await api.wait_for(lambda: (bot.database.parent / "cxbot.sqlite3-wal").stat().st_size == 0)
    ids = {user_id for user_id, _ in MEMBERS}
    secrets = {TOKEN, *(v for v in bot.env.values() if v)}

    with closing(sqlite3.connect(bot.database)) as db:
        anonymous = db.execute(
            "SELECT id, respondent, user_id, language, message_id, nonce_hash, started_at,"
            " updated_at, finished_at, closed_at FROM responses WHERE survey_id = 'enps'"
        ).fetchall()
        answers = db.execute(
            "SELECT a.response_id, a.question_id, a.value, a.answered_at FROM answers a"
        ).fetchall()
        wave = db.execute(
            "SELECT delivered, reminded, started, finished, closed_at FROM waves"
        ).fetchone()
        leftovers = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("deliveries", "participations")
        }

    # 1. no column of an anonymous response or answer holds or names a member
    values = [str(v) for row in [*anonymous, *answers] for v in row if v is not None]
    assert not any(str(user_id) in value for value in values for user_id in ids)
    # 2. ids: drawn at random from a wide range, not counted in any order
    response_ids = sorted(row[0] for row in anonymous)
    assert len(response_ids) == 6 and all(2**40 <= n < 2**52 for n in response_ids)
    assert response_ids[-1] - response_ids[0] > 2**30, "not consecutive"
    # 3. no hash of the person, under the token or any setting, anywhere in the files
    raw = file_bytes(bot.database)
    assert all(row[1] == "anonymous" for row in anonymous)
    for user_id in ids:
        for message in (
            f"enps:wave1:{user_id}",
            f"enps:{user_id}",
            f"u:{user_id}",
            str(user_id),
        ):
            for key in {b"", *(s.encode() for s in secrets)}:
                for digest in digests(key, message.encode()):
                    assert digest not in raw, (user_id, message)
    # 4. no language, no message id, no time finer than the day
    assert all(row[3] == "" and row[4] is None for row in anonymous)
    times = [t for row in anonymous for t in row[6:10] if t is not None]
    times += [row[3] for row in answers]
    assert times and all(t.endswith(DAY) for t in times)
    # 5. nobody's delivery, reminder or participation is left: only counts
    assert leftovers == {"deliveries": 0, "participations": 0}
    assert wave[:4] == (8, 5, 6, 6)
    # and what the members said is all there
    scores = sorted(str(row[2]) for row in answers if row[1] == "recommend")
    assert scores == sorted(["9", "10", "3", "7", "8", "2"])
    comments = sorted(str(row[2]) for row in answers if row[2] and "comment" in str(row[2]))
    assert comments == ["comment of the 2", "comment of the 8"]
