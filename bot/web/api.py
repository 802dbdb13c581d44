"""The admins' Mini App: the page under /app/ and its JSON API under /api/.

Every API call carries the Mini App's launch data, `Telegram.WebApp.initData`, in the header
`Authorization: tma <initData>` (the convention of Telegram's own Mini App docs). A download the
page hands to Telegram (`downloadFile` fetches a URL with no headers of its own) carries a
download ticket instead (tickets.py), asked for with the header at /api/download: good for five
minutes and that one file. No, forged or stale launch data or ticket: 401; a signed user who is
not in ADMIN_IDS: 403; both with no data at all.

The views call the same use cases as the chat (bot/usecases/admin.py, and dashboard.py for the
views that read several summaries at once), in the admin's language; those check admin rights
again. The handlers parse, call and serialize (views.py), and decide nothing about what an
anonymous survey may show.

Static files are read from the package (bot/web/static/, shipped as package data), gzipped
once in memory and sent compressed to every client that accepts it: the first view of the
dashboard stays small on a phone.
"""

from __future__ import annotations

import gzip
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from bot.i18n import _, current_language, resolve_language, use_language
from bot.reports.periods import Period, PeriodError, parse_period
from bot.survey.links import LinkError, Target, deep_link
from bot.usecases import admin, dashboard
from bot.usecases.admin import Link, SummaryRequest
from bot.usecases.dashboard import MAX_COMPARED
from bot.usecases.deps import Deps
from bot.usecases.outcomes import NotAdmin, UnknownSurvey
from bot.usecases.phrases import wave_going_out
from bot.web import tickets, views
from bot.web.initdata import InitDataError, check_init_data
from bot.web.strings import page_strings

log = logging.getLogger(__name__)

SCHEME = "tma"
DOWNLOADS = ("/api/export/", "/api/qr/")
"""The files a download ticket can be asked for."""
DepsGetter = Callable[[], Deps]


def add_routes(app: web.Application, deps: DepsGetter) -> None:
    """Mount the page and its API; `deps` is asked on every request, so the server can be built
    before the storage is open."""
    api = Api(deps)
    app.router.add_get("/api/me", api.me)
    app.router.add_get("/api/download", api.download)
    app.router.add_get("/api/overview", api.overview)
    app.router.add_get("/api/survey/{survey}", api.survey)
    app.router.add_get("/api/compare/{survey}", api.compare)
    app.router.add_get("/api/touchpoints", api.touchpoints)
    app.router.add_get("/api/pulses", api.pulses)
    app.router.add_post("/api/pulses/{pulse:[0-9]+}/{action:pause|resume|now}", api.pulse_action)
    app.router.add_get("/api/export/{survey}", api.export)
    app.router.add_get("/api/link/{survey}", api.link)
    app.router.add_get("/api/qr/{survey}", api.qr)
    app.router.add_get("/app", _to_app)
    app.router.add_get("/app/", static)
    app.router.add_get("/app/{name:[A-Za-z0-9_./-]+}", static)


# the page


STATIC = "static"


@cache
def assets() -> dict[str, tuple[bytes, bytes, str]]:
    """Every file under static/ by its path there: (raw, gzipped, content type), read once.
    Only these names are ever served, so no request can reach outside the folder."""
    found: dict[str, tuple[bytes, bytes, str]] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.is_file():
                name = prefix + entry.name
                raw = entry.read_bytes()
                kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind == "application/javascript":
                    kind += "; charset=utf-8"
                found[name] = (raw, gzip.compress(raw, 9, mtime=0), kind)

    walk(resources.files("bot.web") / STATIC, "")
    return found


def asset(name: str) -> tuple[bytes, bytes, str] | None:
    return assets().get(name)


def _gzip_ok(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info.get("name", "index.html")
    found = asset(name)
    if found is None:
        raise web.HTTPNotFound()
    raw, packed, kind = found
    # the page is tiny and changes with each release: revalidated, never stale
    headers = {"Content-Type": kind, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if _gzip_ok(request):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=packed, headers=headers)
    return web.Response(body=raw, headers=headers)


async def _to_app(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/app/")


# the API


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _json(data: Any, status: int = 200) -> web.Response:
    response = web.json_response(data, status=status)
    response.enable_compression()
    return response


def launch_data(request: web.Request) -> str:
    """From the header only: no link or form on another site can send it."""
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    return value.strip() if scheme.lower() == SCHEME else ""


class Api:
    def __init__(self, deps: DepsGetter) -> None:
        self._deps = deps

    @contextmanager
    def _admin(self, request: web.Request, *, ticket: bool = False) -> Iterator[tuple[Deps, int]]:
        """The admin behind the request, in their language; Refused otherwise. `ticket`: a
        file download, which may show a download ticket instead of the launch data."""
        try:
            deps = self._deps()
        except RuntimeError:  # the storage is not open yet (starting) or any more (stopping)
            raise Refused(503, "starting") from None
        token, raw = deps.config.token, launch_data(request)
        default = deps.config.default_language
        try:
            if not token:
                raise InitDataError("no bot token to check against")
            if ticket and not raw:
                holder = tickets.check(request.path, request.query.items(), token)
                user_id, language = holder.user_id, resolve_language(holder.language, default)
            else:
                data = check_init_data(raw, token)
                user_id = data.user.id
                language = resolve_language(data.user.language_code, default)
        except InitDataError as error:
            log.info("dashboard request refused: %s", error)
            raise Refused(401, _refusal(raw, default)) from None
        if not deps.is_admin(user_id):
            log.info("dashboard request from %s, not an admin", user_id)
            raise Refused(403, _refusal(raw, default))
        with use_language(language):
            yield deps, user_id

    @staticmethod
    def _survey_id(request: web.Request) -> str:
        return request.match_info["survey"]

    def _anonymous(self, deps: Deps, request: web.Request) -> bool:
        survey = deps.surveys.get(self._survey_id(request))
        return survey is not None and survey.anonymous

    def _period(self, deps: Deps, request: web.Request) -> Period:
        """The period as the chat reads it (PeriodError: a 400 with the chat's reason)."""
        text = request.query.get("period") or None
        return parse_period(text, anonymous=self._anonymous(deps, request))

    async def _answer(
        self,
        request: web.Request,
        view: Callable[[Deps, int], Awaitable[web.StreamResponse]],
        *,
        ticket: bool = False,
    ) -> web.StreamResponse:
        """The view's answer, or the refusal the use case raised, as JSON with its status."""
        try:
            with self._admin(request, ticket=ticket) as (deps, admin_id):
                try:
                    return await view(deps, admin_id)
                except UnknownSurvey:
                    raise Refused(404, _("No such survey.")) from None
                except (PeriodError, LinkError) as error:
                    raise Refused(400, str(error)) from None
                except NotAdmin:
                    raise Refused(
                        403, _refusal(launch_data(request), deps.config.default_language)
                    ) from None
        except Refused as refused:
            return _json({"error": str(refused)}, refused.status)

    # the endpoints

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A download ticket for one file of the API (the export, a QR code): its URL, to hand
        to Telegram's downloadFile or to open in a browser."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            target = request.query.get("target", "")
            if not target.startswith(DOWNLOADS):
                raise Refused(400, "not a file")
            assert deps.config.token is not None  # checked by _admin
            holder = tickets.Holder(admin_id, current_language())
            return _json({"url": tickets.issue(target, holder, deps.config.token)})

        return await self._answer(request, view)

    async def me(self, request: web.Request) -> web.StreamResponse:
        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            return _json(
                {
                    "language": current_language(),
                    "strings": page_strings(),
                    "surveys": [views.survey_info(s) for _id, s in sorted(deps.surveys.items())],
                }
            )

        return await self._answer(request, view)

    async def overview(self, request: web.Request) -> web.StreamResponse:
        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            period = parse_period(request.query.get("period") or None)
            seen = await dashboard.overview(deps, admin_id, period)
            return _json(
                {
                    "period": seen.period.name,
                    "previous": None if seen.before is None else seen.before.name,
                    "surveys": [views.overview_entry(c.summary, c.earlier) for c in seen.cards],
                    "calendar_only": [views.survey_info(s) for s in seen.calendar_only],
                }
            )

        return await self._answer(request, view)

    async def survey(self, request: web.Request) -> web.StreamResponse:
        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            request_ = SummaryRequest(
                self._survey_id(request),
                self._period(deps, request),
                request.query.get("segment") or None,
            )
            return _json(views.summary_view(await admin.summary(deps, admin_id, request_)))

        return await self._answer(request, view)

    async def compare(self, request: web.Request) -> web.StreamResponse:
        """Columns side by side: several segments over one period (`segments=a,b`), or one
        segment, or all, over several periods (`periods=2026-10,2026-11&segments=a`). Each
        column is a summary of its own, so every disclosure rule applies to each."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            survey_id = self._survey_id(request)
            names = _listed(request.query.get("segments", ""))
            over_time = _listed(request.query.get("periods", ""))
            anonymous = self._anonymous(deps, request)
            columns: list[tuple[Period, str | None]]
            if over_time:
                segment = names[0] if len(names) == 1 else None
                columns = [(parse_period(name, anonymous=anonymous), segment) for name in over_time]
            else:
                period = self._period(deps, request)
                columns = [(period, name) for name in names]
            summaries = await dashboard.compare(deps, admin_id, survey_id, columns)
            survey = deps.surveys[survey_id]
            return _json(
                {
                    "survey": views.survey_info(survey),
                    "columns": [views.compare_entry(s) for s in summaries],
                }
            )

        return await self._answer(request, view)

    async def touchpoints(self, request: web.Request) -> web.StreamResponse:
        """Every survey with the segments its summary shows (for an anonymous survey, only the
        shown teams) and their links; pulse surveys with their teams."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            username = deps.bot_username or deps.config.bot_username
            result = []
            for point in await dashboard.touchpoints(deps, admin_id):
                survey = point.survey
                entry: dict[str, Any] = views.survey_info(survey)
                if survey.repeat == "wave":
                    entry["teams"] = [
                        {"name": team, "members": members} for team, members in point.teams.items()
                    ]
                else:
                    entry["segments"] = [
                        {"name": name, "link": _link(username, survey.id, name or None)}
                        for name in point.segments
                    ]
                    entry["link"] = _link(username, survey.id, None)
                result.append(entry)
            return _json({"surveys": result})

        return await self._answer(request, view)

    async def pulses(self, request: web.Request) -> web.StreamResponse:
        """Schedules, teams, and the latest waves with their response rates."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            board = await dashboard.pulse_board(deps, admin_id)
            return _json(
                {
                    "pulses": [
                        {
                            "id": p.id,
                            "survey": p.survey_id,
                            "team": p.team,
                            "cadence": p.cadence,
                            "time": f"{p.local_time} {p.time_zone}",
                            "next": p.next_at[:16],
                            "paused": p.paused,
                        }
                        for p in board.pulses
                    ],
                    "teams": [
                        {"name": team, "members": active, "left": gone}
                        for team, (active, gone) in sorted(board.audiences.items())
                    ],
                    "waves": [
                        {"survey": survey.id, **views.wave(survey, line)}
                        for survey, line in board.waves
                    ],
                }
            )

        return await self._answer(request, view)

    async def pulse_action(self, request: web.Request) -> web.StreamResponse:
        """Pause, resume, or send a wave now, as `/pulse pause|resume|now` do: POST, with the
        launch data in its header (which no other site can make a browser send, so a link
        elsewhere cannot trigger it)."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            pulse_id, action = int(request.match_info["pulse"]), request.match_info["action"]
            missing = Refused(404, _("No pulse {id}.").format(id=pulse_id))
            if action == "now":
                opened = await admin.pulse_now(deps, admin_id, pulse_id)
                if opened is None:
                    raise missing
                pulse, wave = opened
                message = wave_going_out(pulse.survey_id, pulse.team, wave)
            else:
                change = admin.pulse_pause if action == "pause" else admin.pulse_resume
                if not await change(deps, admin_id, pulse_id):
                    raise missing
                message = _("Done.")
            return _json({"message": message})

        return await self._answer(request, view)

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The CSV /export sends; for an anonymous survey with nothing to show, the chat's
        summary text saying why (409)."""
        from bot.reports.text import summary_text

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            survey_id, period = self._survey_id(request), self._period(deps, request)
            document = await admin.export(deps, admin_id, survey_id, period)
            if not isinstance(document, bytes):
                raise Refused(409, summary_text(document))
            name = f"{survey_id}-{period.name}.csv"
            response = web.Response(
                body=document,
                headers={
                    "Content-Type": "text/csv; charset=utf-8",
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "Cache-Control": "no-store",
                },
            )
            response.enable_compression()
            return response

        return await self._answer(request, view, ticket=True)

    async def link(self, request: web.Request) -> web.StreamResponse:
        """A touchpoint's link (the same use case as /link: a pulse survey's is the team's
        invite), and where its QR code is."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            survey_id, segment = self._survey_id(request), request.query.get("segment") or None
            link = await _new_link(deps, admin_id, survey_id, segment)
            query = urlencode({"segment": segment} if segment else {})
            return _json({"link": link.url, "qr": f"/api/qr/{survey_id}?{query}".rstrip("?")})

        return await self._answer(request, view)

    async def qr(self, request: web.Request) -> web.StreamResponse:
        """The link's QR code as a PNG to print, the picture /link sends."""

        async def view(deps: Deps, admin_id: int) -> web.StreamResponse:
            survey_id, segment = self._survey_id(request), request.query.get("segment") or None
            link = await _new_link(deps, admin_id, survey_id, segment)
            name = "-".join(part for part in ("qr", survey_id, segment) if part)
            return web.Response(
                body=link.qr_png,
                headers={
                    "Content-Type": "image/png",
                    "Content-Disposition": f'attachment; filename="{name}.png"',
                    "Cache-Control": "no-store",
                },
            )

        return await self._answer(request, view, ticket=True)


def _listed(text: str) -> list[str]:
    """A comma-separated query value, each item once, in order, at most MAX_COMPARED."""
    return list(dict.fromkeys(item for item in text.split(",") if item))[:MAX_COMPARED]


async def _new_link(deps: Deps, admin_id: int, survey_id: str, segment: str | None) -> Link:
    try:
        return await admin.new_link(deps, admin_id, survey_id, segment)
    except LinkError:
        raise
    except RuntimeError:  # neither getMe nor BOT_USERNAME has told the bot's username
        raise Refused(409, _("Set BOT_USERNAME to make links here.")) from None
    except ValueError:  # a pulse survey's link is a team's
        raise Refused(400, _("Choose a team.")) from None


def _refusal(raw: str, default: str) -> str:
    """ "For admins only", in the language the launch data names (unchecked: the sentence is
    the same for everyone, so a forged language only changes its words)."""
    code = None
    try:
        user = json.loads(dict(parse_qsl(raw)).get("user", "{}"))
        code = user.get("language_code") if isinstance(user, dict) else None
    except ValueError:
        pass
    with use_language(resolve_language(code if isinstance(code, str) else None, default)):
        return _("This dashboard is for the bot's admins only.")


def _link(username: str | None, survey_id: str, segment: str | None) -> str | None:
    if not username:
        return None
    try:
        return deep_link(username, Target(survey_id, segment))
    except LinkError:
        return None
