"""What a respondent's action does: who owns which response, when one expires, where a link
leads, whether an answer fits, and the commits. Plain values in, outcomes out; the adapter
renders them and keeps the messages in order.

- `visit(deps, user_id, telegram_language) -> Person`: who speaks, in which language.
- `start(deps, person, payload) -> Shown | Menu | Joined | Refused`: /start, with or without a
  deep link's payload; after `Joined`, `reach(deps, person, joined)` once its words are sent.
- `choose(deps, person, survey_id) -> Shown | Refused`: a survey picked from the menu.
- `tap`, `back(deps, person, response_id, question_index, …, nonce) -> Shown | Refused`.
- `wave_answer(deps, person, wave_id, question_index, value) -> Shown | Refused`: the first
  answer to a pulse wave, which creates the response.
- `type_text(deps, person, text, typing) -> Shown | Refused | NothingOpen`.
- `resume`, `restart(deps, person, response_id) -> Shown | Refused`.
- `set_language(deps, person, language) -> bool`, `stop(deps, person) -> int`,
  `forget(deps, person)`, `shown_in(deps, shown, message_id)`.

Nothing stored leads from a person to their anonymous response: such a response is theirs only
with the nonce its buttons carry (`tap`'s `nonce`), and typed text reaches it only through
`typing`, which the adapter keeps in memory (the response and nonce whose text question is on
the person's screen).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot import metrics
from bot.i18n import resolve_language
from bot.pulses import MAX_TEAMS
from bot.storage.database import AlreadyStored, Outdated, Response, ResponseClosed
from bot.survey.flow import (
    InvalidAnswer,
    check_answer,
    current_question,
    cursor_after,
    next_question,
    previous_question,
    progress,
)
from bot.survey.links import Invite, decode_payload, invite_accepted, invite_of
from bot.survey.model import LANGUAGES, PlacedQuestion, Survey, TextScale
from bot.survey.repeats import again_from
from bot.survey.respondents import respondent
from bot.usecases.deps import Deps
from bot.usecases.outcomes import (
    Joined,
    Menu,
    NothingOpen,
    Refusal,
    Refused,
    Shown,
    Unfinished,
)


@dataclass(frozen=True)
class Person:
    """Who acts, and the language to answer in."""

    user_id: int
    language: str
    seen: Response | None = field(default=None, compare=False)
    """The response the update is about, as `visit` read it with the person (a tap's two
    reads in one call); used once, by the use case the update asks for."""


class _Refuse(Exception):
    """Raised inside, returned as `Refused` at the edge of each use case."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.reason)
        self.refused = refused


def _refuse(reason: Refusal, **fields: object) -> _Refuse:
    return _Refuse(Refused(reason, **fields))  # type: ignore[arg-type]


def new_nonce() -> tuple[str, str]:
    """A nonce for an anonymous response's buttons, and the hash of it that is stored."""
    nonce = secrets.token_urlsafe(9)
    return nonce, nonce_hash(nonce)


def nonce_hash(nonce: str) -> str:
    # 72 random bits: no key is needed for the hash to give nothing back
    return hashlib.sha256(nonce.encode()).hexdigest()


async def visit(
    deps: Deps, user_id: int, telegram_language: str | None, about: int | None = None
) -> Person:
    """Who speaks; `about`: the response their update names (a tap's), read in the same call."""
    stored, seen = await deps.storage.visit(user_id, telegram_language, about)
    language = stored.language or resolve_language(telegram_language, deps.config.default_language)
    return Person(user_id, language, seen)


# who owns what


async def _owned(
    deps: Deps, person: Person, response_id: int, nonce: str | None = None
) -> tuple[Survey, Response]:
    """The person's own response still open, with its survey.

    An anonymous response is theirs only if the tap carries the nonce of its buttons: nothing
    stored says whose it is. A finished one is refused with its result, perhaps never shown
    (the bot was stopped between storing the last answer and showing it)."""
    seen = person.seen
    if seen is not None and seen.id == response_id:
        response: Response | None = seen
    else:
        response = await deps.storage.response(response_id)
    if response is None:
        raise _refuse(Refusal.STALE)
    if response.anonymous:
        proof = nonce_hash(nonce) if nonce is not None else ""
        if not response.nonce_hash or not hmac.compare_digest(proof, response.nonce_hash):
            raise _refuse(Refusal.STALE)
    elif response.respondent != respondent(person.user_id):  # someone else's response
        raise _refuse(Refusal.STALE)
    survey = deps.surveys.get(response.survey_id)
    if survey is None:
        raise _refuse(Refusal.CLOSED)
    if response.finished:
        raise _refuse(Refusal.FINISHED, shown=await _shown(deps, survey, response))
    if response.closed_at is not None or await _expire(deps, survey, response):
        raise _refuse(Refusal.EXPIRED)
    return survey, response


async def _expire(deps: Deps, survey: Survey, response: Response) -> bool:
    """Close an unfinished response left alone longer than the survey allows (a wave's
    responses end with the wave)."""
    if survey.expires_after_hours is None or response.wave_id is not None:
        return False
    last = datetime.fromisoformat(response.updated_at).replace(tzinfo=UTC)
    if response.anonymous:  # only the day is kept: the latest it can have been
        last += timedelta(days=1)
    if datetime.now(UTC) - last <= timedelta(hours=survey.expires_after_hours):
        return False
    await deps.storage.close_response(response.id, "expired")
    return True


async def _open_response(
    deps: Deps, person: Person, survey: Survey | None = None
) -> Response | None:
    """The person's unfinished response (of one survey, if given) that has not expired.
    Never an anonymous one: nothing stored leads from the person to it."""
    if survey is not None and survey.anonymous:
        return None
    while True:
        response = await deps.storage.open_response(
            [respondent(person.user_id)], survey.id if survey else None
        )
        if response is None:
            return None
        owner = deps.surveys.get(response.survey_id)
        if owner is not None and not await _expire(deps, owner, response):
            return response
        if owner is None:
            await deps.storage.close_response(response.id, "survey removed")


async def _shown(
    deps: Deps,
    survey: Survey,
    response: Response,
    nonce: str | None = None,
    *,
    welcome_back: bool = False,
) -> Shown:
    """The response's screen; a finished survey that replaces an earlier answer shows the
    earlier result next to the new one."""
    previous = None
    finished = current_question(survey, response.answers, response.cursor) is None
    if finished and survey.repeat == "replace":
        previous = await deps.storage.last_finished(
            response.respondent, survey.id, before=response.id
        )
    return Shown(survey, response, nonce, previous, welcome_back)


async def shown_in(deps: Deps, shown: Shown, message_id: int) -> None:
    """The message that now shows a response: its buttons are the live ones, and the next
    screen replaces the buttons there. Not kept for anonymous responses."""
    if not shown.response.anonymous:
        await deps.storage.set_message(shown.response.id, message_id)


# /start and the menu


def menu_surveys(deps: Deps) -> list[Survey]:
    return [s for s in deps.surveys.values() if s.public]


async def start(deps: Deps, person: Person, payload: str | None) -> Shown | Menu | Joined | Refused:
    try:
        if payload:
            target = decode_payload(payload)
            survey = deps.surveys.get(target.survey_id) if target else None
            if target is not None and survey is not None and survey.repeat == "wave":
                return await _join(deps, person, survey, invite_of(target))
            if target is not None and survey is not None:
                return await _begin(deps, person, survey, target.segment, by_link=True)
            return Menu(menu_surveys(deps), unknown_link=True)
        pulse = bool(await deps.storage.pulses.unfinished_waves(person.user_id))
        response = await _open_response(deps, person)
        if response is None:
            return Menu(menu_surveys(deps), pulse_open=pulse)
        survey = deps.surveys[response.survey_id]
        question = current_question(survey, response.answers, response.cursor)
        assert question is not None, "an open response always has a question to show"
        step = progress(survey, question, response.answers)
        unfinished = Unfinished(survey, response, step.position, step.total)
        return Menu(menu_surveys(deps), pulse_open=pulse, unfinished=unfinished)
    except _Refuse as refusal:
        return refusal.refused


async def choose(deps: Deps, person: Person, survey_id: str) -> Shown | Refused:
    """A survey the menu offers: public, and not a pulse (answered only from a wave)."""
    survey = deps.surveys.get(survey_id)
    if survey is None or not survey.public or survey.repeat == "wave":
        return Refused(Refusal.STALE)
    try:
        return await _begin(deps, person, survey, None, by_link=False)
    except _Refuse as refusal:
        return refusal.refused


async def _begin(
    deps: Deps, person: Person, survey: Survey, segment: str | None, *, by_link: bool
) -> Shown:
    """Open a survey: continue the unfinished response, or start one as the survey's repeat
    policy says (every scan of a contact-rating link is a new response; a quarterly survey
    answered this quarter starts nothing and says when it can be answered again)."""
    storage = deps.storage
    response = await _open_response(deps, person, survey)
    if response is not None and by_link and survey.repeat == "each":
        await storage.close_response(response.id, "new scan")
        response = None
    if response is None and survey.repeat == "quarterly":
        last = await storage.last_finished(respondent(person.user_id), survey.id)
        again = again_from(survey, last.finished_at if last else None, datetime.now(UTC))
        if again is not None:  # counted once this quarter already: nothing is stored
            raise _refuse(Refusal.NOT_YET, again=again)
    if response is not None:
        return await _shown(deps, survey, response, welcome_back=bool(response.answers))
    nonce, digest = new_nonce() if survey.anonymous else (None, None)
    response = await storage.start_response(
        survey_id=survey.id,
        respondent=respondent(person.user_id),
        user_id=None if survey.anonymous else person.user_id,
        segment=segment,
        language=person.language,
        nonce_hash=digest,
    )
    return await _shown(deps, survey, response, nonce)


async def _join(deps: Deps, person: Person, survey: Survey, invite: Invite | None) -> Joined:
    """An invite link: the employee joins the team's audience. Only a link with the team's
    current secret joins; a wrong secret, a replaced one and a team that has no link get the
    same refusal, so that no one can find out which teams exist."""
    pulses = deps.storage.pulses
    stored = await pulses.invite_secret(survey.id, invite.team) if invite else None
    if invite is None or not invite_accepted(invite, stored):
        raise _refuse(Refusal.INVITE_INVALID)
    if not await pulses.join(invite.team, person.user_id, most=MAX_TEAMS):
        raise _refuse(Refusal.TOO_MANY_TEAMS, limit=MAX_TEAMS)
    return Joined(survey, invite.team)


async def reach(deps: Deps, person: Person, joined: Joined) -> None:
    """The team's waves still open reach whoever just joined. Called once the welcome is
    sent, so that it comes before the wave's question."""
    pulses = deps.storage.pulses
    for wave in await pulses.open_waves(joined.team):
        if wave.survey_id == joined.survey.id and await pulses.add_delivery(
            wave.id, person.user_id
        ):
            deps.wake_pulses()


# answers


def _checked(question: PlacedQuestion, raw: str | None) -> str | None:
    """The answer as stored, or refused saying what is wrong with it."""
    try:
        return check_answer(question, raw)
    except InvalidAnswer as error:
        if error.reason == "too-long":
            raise _refuse(Refusal.TOO_LONG, limit=int(error.details["limit"])) from None
        if error.reason == "empty":
            raise _refuse(Refusal.EMPTY) from None
        raise _refuse(Refusal.DOES_NOT_FIT) from None


async def _store_answer(
    deps: Deps,
    person: Person,
    survey: Survey,
    response: Response,
    question: PlacedQuestion,
    raw: str | None,
    nonce: str | None,
) -> Response:
    """The answer stored, or refused: not fitting, the response closed, or moved on by another
    tap meanwhile (answered as a tap on a question already answered: the screen as it is now)."""
    value = _checked(question, raw)
    answers = {**response.answers, question.id: value}
    cursor = cursor_after(survey, answers, question)
    finished = cursor is None and next_question(survey, answers) is None
    try:
        stored = await deps.storage.record_answer(
            response,
            question.id,
            value,
            cursor=cursor,
            finished=finished,
            replaces_previous=survey.repeat == "replace",
            participant=person.user_id,
        )
    except AlreadyStored as same:  # the same tap taken twice at once: counted by the other
        return same.response
    except ResponseClosed:  # its wave closed, or it expired, while the tap was on its way
        raise _refuse(Refusal.EXPIRED) from None
    except Outdated:  # another tap got there first, taken by another process
        raise _refuse(
            Refusal.ANSWERED, shown=await _now_shown(deps, survey, response, nonce)
        ) from None
    metrics.answers.inc()
    return stored


async def _now_shown(deps: Deps, survey: Survey, response: Response, nonce: str | None) -> Shown:
    """The response's screen as it stands now that another writer has moved it on."""
    current = await deps.storage.response(response.id)
    return await _shown(deps, survey, current or response, nonce)


async def _tapped(
    deps: Deps,
    person: Person,
    response_id: int,
    question_index: int,
    nonce: str | None,
    value: str | None,
    *,
    back: bool,
) -> Shown | Refused:
    try:
        survey, response = await _owned(deps, person, response_id, nonce)
    except _Refuse as refusal:
        return refusal.refused
    question = current_question(survey, response.answers, response.cursor)
    assert question is not None, "an open response always has a question to show"
    try:
        if question.index != question_index:
            raise _refuse(Refusal.ANSWERED)
        if back:
            previous = previous_question(survey, response.answers, question)
            if previous is None:
                raise _refuse(Refusal.FIRST_QUESTION)
            try:
                response = await deps.storage.set_cursor(response, previous.id, leaving=question.id)
            except ResponseClosed:
                raise _refuse(Refusal.EXPIRED) from None
            except Outdated:  # a tap taken by another process moved it meanwhile
                shown = await _now_shown(deps, survey, response, nonce)
                raise _refuse(Refusal.ANSWERED, shown=shown) from None
        else:
            response = await _store_answer(deps, person, survey, response, question, value, nonce)
    except _Refuse as refusal:
        answered = refusal.refused.reason in (Refusal.ANSWERED, Refusal.DOES_NOT_FIT)
        if answered and refusal.refused.shown is None:
            # the live message shows the current question again
            return replace(refusal.refused, shown=await _shown(deps, survey, response, nonce))
        return refusal.refused
    return await _shown(deps, survey, response, nonce)


async def tap(
    deps: Deps,
    person: Person,
    response_id: int,
    question_index: int,
    value: str | None,
    nonce: str | None = None,
) -> Shown | Refused:
    """An answer button: stored if it answers the question on the response's screen."""
    return await _tapped(deps, person, response_id, question_index, nonce, value, back=False)


async def back(
    deps: Deps, person: Person, response_id: int, question_index: int, nonce: str | None = None
) -> Shown | Refused:
    """Back to the previous question, its answer kept (and ticked) until changed."""
    return await _tapped(deps, person, response_id, question_index, nonce, None, back=True)


async def wave_answer(
    deps: Deps, person: Person, wave_id: int, question_index: int, value: str | None
) -> Shown | Refused:
    """The first answer to a wave: creates the response, if the wave was delivered to this
    person, is open, and they have not started it yet (all checked in one transaction)."""
    wave = await deps.storage.pulses.wave(wave_id)
    survey = deps.surveys.get(wave.survey_id) if wave else None
    if wave is None or survey is None or survey.repeat != "wave":
        return Refused(Refusal.STALE)
    question = current_question(survey, {}, None)
    if question is None or question.index != question_index:
        return Refused(Refusal.STALE)
    try:
        value = _checked(question, value)
    except _Refuse as refusal:
        return refusal.refused
    answers = {question.id: value}
    cursor = cursor_after(survey, answers, question)
    nonce, digest = new_nonce() if survey.anonymous else (None, None)
    outcome = await deps.storage.start_in_wave(
        wave_id=wave.id,
        user_id=person.user_id,
        survey_id=survey.id,
        anonymous=survey.anonymous,
        language=person.language,
        question_id=question.id,
        value=value,
        cursor=cursor,
        finished=cursor is None and next_question(survey, answers) is None,
        nonce_hash=digest,
    )
    if outcome == "finished":
        return Refused(Refusal.FINISHED)
    if outcome == "closed":
        return Refused(Refusal.CLOSED)
    if isinstance(outcome, str):  # not sent to them, or already started elsewhere
        return Refused(Refusal.STALE)
    metrics.answers.inc()
    return await _shown(deps, survey, outcome, nonce)


async def type_text(
    deps: Deps, person: Person, text: str, typing: tuple[int, str] | None = None
) -> Shown | Refused | NothingOpen:
    """Typed text as the answer to the current question, if it asks for text.

    `typing`: the anonymous response (id, nonce) whose text question is on the person's
    screen, if the adapter knows one; else their open response that is not anonymous. Text
    while a question asks for a tap is refused with the question shown again."""
    survey, response, nonce = None, None, None
    if typing is not None:
        try:
            survey, response = await _owned(deps, person, typing[0], typing[1])
            nonce = typing[1]
        except _Refuse:
            pass
    if survey is None or response is None:
        response = await _open_response(deps, person)
        if response is None:
            return NothingOpen(bool(await deps.storage.pulses.unfinished_waves(person.user_id)))
        survey = deps.surveys[response.survey_id]
    question = current_question(survey, response.answers, response.cursor)
    assert question is not None, "an open response always has a question to show"
    if not isinstance(question.scale, TextScale):
        return Refused(Refusal.BUTTONS_ONLY, shown=await _shown(deps, survey, response, nonce))
    try:
        response = await _store_answer(deps, person, survey, response, question, text, nonce)
    except _Refuse as refusal:
        return refusal.refused
    return await _shown(deps, survey, response, nonce)


async def resume(deps: Deps, person: Person, response_id: int) -> Shown | Refused:
    """Continue an unfinished response (never an anonymous one: those continue in their own
    message)."""
    try:
        survey, response = await _owned(deps, person, response_id)
    except _Refuse as refusal:
        return refusal.refused
    return await _shown(deps, survey, response, welcome_back=True)


async def restart(deps: Deps, person: Person, response_id: int) -> Shown | Refused:
    """Start an unfinished response over: it is closed, and a new one begins."""
    try:
        survey, response = await _owned(deps, person, response_id)
    except _Refuse as refusal:
        return refusal.refused
    await deps.storage.close_response(response.id, "restarted")
    response = await deps.storage.start_response(
        survey_id=survey.id,
        respondent=response.respondent,
        user_id=response.user_id,
        segment=response.segment,
        language=person.language,
        wave_id=response.wave_id,
    )
    return await _shown(deps, survey, response)


# the person


async def set_language(deps: Deps, person: Person, language: str) -> bool:
    """False: not a language of ours."""
    if language not in LANGUAGES:
        return False
    await deps.storage.set_language(person.user_id, language)
    return True


async def stop(deps: Deps, person: Person) -> int:
    """Leave every pulse audience; how many the person was in."""
    return await deps.storage.pulses.leave_all(person.user_id)


async def forget(deps: Deps, person: Person) -> None:
    """Delete what is stored of the person (their anonymous answers hold nothing of them)."""
    await deps.storage.forget(person.user_id)
