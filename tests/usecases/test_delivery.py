"""What a pulse delivery says to a member, decided from the stored state."""

from __future__ import annotations

from bot.storage.pulses import Delivery
from bot.usecases import admin, delivery, respondent
from bot.usecases.delivery import PulseNote
from bot.usecases.deps import Deps
from bot.usecases.outcomes import Shown

from .conftest import ADMIN

MEMBER = 7


async def first_delivery(deps: Deps) -> Delivery:
    await deps.storage.touch_user(MEMBER, "pt")
    assert await deps.storage.pulses.join("ops", MEMBER, most=20)
    await admin.open_wave(deps, ADMIN, "enps", "ops")
    [sent] = await deps.storage.pulses.to_send(10)
    return sent


async def test_a_wave_brings_its_first_question_in_the_members_language(deps: Deps) -> None:
    sent = await first_delivery(deps)
    message = await delivery.deliver(deps, sent)
    assert message is not None
    assert (message.user_id, message.language, message.note) == (MEMBER, "pt", PulseNote.WAVE)
    assert message.wave_id == sent.wave.id and message.survey.id == "enps"


async def test_a_member_who_started_gets_a_pointer_not_the_question_again(deps: Deps) -> None:
    sent = await first_delivery(deps)
    await deps.storage.pulses.set_state(sent, "sent", attempt=True)
    person = await respondent.visit(deps, MEMBER, "pt")
    started = await respondent.wave_answer(deps, person, sent.wave.id, 0, "9")
    assert isinstance(started, Shown) and not started.finished
    assert await delivery.deliver(deps, sent) is None, "the first question is not sent twice"
    assert await delivery.non_finishers(deps, sent.wave) == [MEMBER]
    await deps.storage.pulses.add_reminders(sent.wave.id, [MEMBER])
    [reminder] = await deps.storage.pulses.to_send(10)
    message = await delivery.deliver(deps, reminder)
    assert message is not None and message.note is PulseNote.STARTED
