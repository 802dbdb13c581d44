"""The admins' Mini App: the page under /app/ and its JSON API under /api/.

Every API call carries the Mini App's launch data, `Telegram.WebApp.initData`, in the header
`Authorization: tma <initData>` (the convention of Telegram's own Mini App docs). A download the
page hands to Telegram (`downloadFile` fetches a URL with no headers of its own) carries a
download ticket instead (tickets.py), asked for with the header at /api/download: good for five
minutes and that one file. No, forged or stale launch data or ticket: 401; a signed user who is
not in ADMIN_IDS: 403; both with no data at all.

The views answer from the chat's report code: `build_summary` inside `storage.report()`,
`export_csv`, `deep_link` and `qr_png`, in the admin's language. The handlers parse, call and
serialize (views.py), and decide nothing about what an anonymous survey may show.

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
from bot.reports.periods import Period, PeriodError, parse_period, previous
from bot.survey.links import LinkError, Target, deep_link
from bot.survey.model import Survey
from bot.usecases.deps import Deps
from bot.web import tickets, views
from bot.web.initdata import InitDataError, check_init_data
from bot.web.strings import page_strings

log = logging.getLogger(__name__)

SCHEME = "tma"
DOWNLOADS = ("/api/export/", "/api/qr/")
"""The files a download ticket can be asked for."""
MAX_COMPARED = 8
"""Columns in one compare view: each is a summary of its own."""
WAVES_SHOWN = 20
"""The latest waves per pulse survey on the pulses view."""

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
    def _admin(self, request: web.Request, *, ticket: bool = False) -> Iterator[Deps]:
        """The admin behind the request, in their language; Refused otherwise. `ticket`: a
        file download, which may show a download ticket instead of the launch data."""
        deps = self._deps()
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
            yield deps

    def _survey(self, deps: Deps, request: web.Request) -> Survey:
        survey = deps.surveys.get(request.match_info["survey"])
        if survey is None:
            raise Refused(404, _("No such survey."))
        return survey

    @classmethod
    def _period(cls, request: web.Request, survey: Survey | None) -> Period:
        return cls._parsed(request.query.get("period") or None, survey)

    @staticmethod
    def _parsed(text: str | None, survey: Survey | None) -> Period:
        """The period as the chat reads it; a 400 with the chat's reason when it refuses."""
        try:
            return parse_period(text, anonymous=survey is not None and survey.anonymous)
        except PeriodError as error:
            raise Refused(400, str(error)) from None

    async def _answer(
        self,
        request: web.Request,
        view: Callable[[Deps], Awaitable[web.StreamResponse]],
        *,
        ticket: bool = False,
    ) -> web.StreamResponse:
        try:
            with self._admin(request, ticket=ticket) as deps:
                return await view(deps)
        except Refused as refused:
            return _json({"error": str(refused)}, refused.status)

    # the endpoints

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A download ticket for one file of the API (the export, a QR code): its URL, to hand
        to Telegram's downloadFile or to open in a browser."""

        async def view(deps: Deps) -> web.StreamResponse:
            target = request.query.get("target", "")
            if not target.startswith(DOWNLOADS):
                raise Refused(400, "not a file")
            assert deps.config.token is not None  # checked by _admin
            data = check_init_data(launch_data(request), deps.config.token)
            holder = tickets.Holder(data.user.id, current_language())
            return _json({"url": tickets.issue(target, holder, deps.config.token)})

        return await self._answer(request, view)

    async def me(self, request: web.Request) -> web.StreamResponse:
        async def view(deps: Deps) -> web.StreamResponse:
            return _json(
                {
                    "language": current_language(),
                    "strings": page_strings(),
                    "surveys": [views.survey_info(s) for _id, s in sorted(deps.surveys.items())],
                }
            )

        return await self._answer(request, view)

    async def overview(self, request: web.Request) -> web.StreamResponse:
        from bot.reports.summary import build_summary

        async def view(deps: Deps) -> web.StreamResponse:
            period = self._period(request, None)
            before = previous(period)
            cards, refused = [], []
            async with deps.storage.report() as queries:
                for _id, survey in sorted(deps.surveys.items()):
                    if survey.anonymous and period.kind == "days":
                        refused.append(views.survey_info(survey))
                        continue
                    summary = await build_summary(queries, survey, period)
                    if summary.hidden or not summary.overall.n:
                        continue
                    earlier = (
                        await build_summary(queries, survey, before) if before is not None else None
                    )
                    cards.append(views.overview_entry(summary, earlier))
            return _json(
                {
                    "period": period.name,
                    "previous": None if before is None else before.name,
                    "surveys": cards,
                    "calendar_only": refused,
                }
            )

        return await self._answer(request, view)

    async def survey(self, request: web.Request) -> web.StreamResponse:
        from bot.reports.summary import build_summary

        async def view(deps: Deps) -> web.StreamResponse:
            survey = self._survey(deps, request)
            period = self._period(request, survey)
            segment = request.query.get("segment") or None
            async with deps.storage.report() as queries:
                summary = await build_summary(queries, survey, period, segment)
            return _json(views.summary_view(summary))

        return await self._answer(request, view)

    async def compare(self, request: web.Request) -> web.StreamResponse:
        """Columns side by side: several segments over one period (`segments=a,b`), or one
        segment, or all, over several periods (`periods=2026-10,2026-11&segments=a`). Each
        column is a summary of its own, so every disclosure rule applies to each."""
        from bot.reports.summary import build_summary

        async def view(deps: Deps) -> web.StreamResponse:
            survey = self._survey(deps, request)
            names = _listed(request.query.get("segments", ""))
            over_time = _listed(request.query.get("periods", ""))
            if over_time:
                segment = names[0] if len(names) == 1 else None
                pairs = [(self._parsed(name, survey), segment) for name in over_time]
            else:
                period = self._period(request, survey)
                pairs = [(period, name) for name in names]
            columns = []
            async with deps.storage.report() as queries:
                for period, segment in pairs:
                    summary = await build_summary(queries, survey, period, segment)
                    columns.append(views.compare_entry(summary))
            return _json({"survey": views.survey_info(survey), "columns": columns})

        return await self._answer(request, view)

    async def touchpoints(self, request: web.Request) -> web.StreamResponse:
        """Every survey with the segments its summary shows (for an anonymous survey, only the
        shown teams) and their links; pulse surveys with their teams."""
        from bot.reports.summary import build_summary

        async def view(deps: Deps) -> web.StreamResponse:
            username = deps.config.bot_username
            audiences = await deps.storage.pulses.audience_sizes()
            pulse_teams = {(p.survey_id, p.team) for p in await deps.storage.pulses.pulses()}
            everything = parse_period(None)
            result = []
            async with deps.storage.report() as queries:
                for _id, survey in sorted(deps.surveys.items()):
                    summary = await build_summary(queries, survey, everything)
                    names = [name for name, _group in summary.segments]
                    entry: dict[str, Any] = views.survey_info(survey)
                    if survey.repeat == "wave":
                        teams = sorted({t for s, t in pulse_teams if s == survey.id} | set(names))
                        entry["teams"] = [
                            {"name": team, "members": audiences.get(team, (0, 0))[0]}
                            for team in teams
                        ]
                    else:
                        entry["segments"] = [
                            {"name": name, "link": _link(username, survey.id, name or None)}
                            for name in names
                        ]
                        entry["link"] = _link(username, survey.id, None)
                    result.append(entry)
            return _json({"surveys": result})

        return await self._answer(request, view)

    async def pulses(self, request: web.Request) -> web.StreamResponse:
        """Schedules and the latest waves with their response rates (read-only: pausing,
        resuming and sending now stay in the chat's /pulse for now)."""
        from bot.reports.summary import build_summary

        async def view(deps: Deps) -> web.StreamResponse:
            schedules = [
                {
                    "id": p.id,
                    "survey": p.survey_id,
                    "team": p.team,
                    "cadence": p.cadence,
                    "time": f"{p.local_time} {p.time_zone}",
                    "next": p.next_at[:16],
                    "paused": p.paused,
                }
                for p in await deps.storage.pulses.pulses()
            ]
            audiences = await deps.storage.pulses.audience_sizes()
            waves = []
            everything = parse_period(None)
            async with deps.storage.report() as queries:
                for _id, survey in sorted(deps.surveys.items()):
                    if survey.repeat != "wave":
                        continue
                    summary = await build_summary(queries, survey, everything)
                    for line in summary.waves[-WAVES_SHOWN:]:
                        waves.append({"survey": survey.id, **views.wave(survey, line)})
            return _json(
                {
                    "pulses": schedules,
                    "teams": [
                        {"name": team, "members": active, "left": gone}
                        for team, (active, gone) in sorted(audiences.items())
                    ],
                    "waves": waves,
                }
            )

        return await self._answer(request, view)

    async def pulse_action(self, request: web.Request) -> web.StreamResponse:
        """Pause, resume, or send a wave now: POST, with the launch data in its header (which
        no other site can make a browser send, so a link elsewhere cannot trigger it)."""
        from bot.web import actions

        async def view(deps: Deps) -> web.StreamResponse:
            pulse_id, action = int(request.match_info["pulse"]), request.match_info["action"]
            if action == "now":
                outcome = await actions.send_now(deps, pulse_id)
            else:
                outcome = await actions.set_paused(deps, pulse_id, action == "pause")
            if not outcome.done:
                raise Refused(404, outcome.message)
            return _json({"message": outcome.message})

        return await self._answer(request, view)

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The CSV /export sends; for an anonymous survey with nothing to show, the chat's
        summary text saying why (409)."""
        from bot.reports.export import export_csv
        from bot.reports.summary import build_summary
        from bot.reports.text import summary_text

        async def view(deps: Deps) -> web.StreamResponse:
            survey = self._survey(deps, request)
            period = self._period(request, survey)
            async with deps.storage.report() as queries:
                document = await export_csv(queries, survey, period)
                summary = (
                    None if document is not None else await build_summary(queries, survey, period)
                )
            if document is None:
                assert summary is not None
                raise Refused(409, summary_text(summary))
            name = f"{survey.id}-{period.name}.csv"
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
        """A new link for a touchpoint (the same code as /link), and where its QR code is."""

        async def view(deps: Deps) -> web.StreamResponse:
            survey = self._survey(deps, request)
            segment = request.query.get("segment") or None
            link = _new_link(deps, survey, segment)
            query = urlencode({"segment": segment} if segment else {})
            return _json({"link": link, "qr": f"/api/qr/{survey.id}?{query}".rstrip("?")})

        return await self._answer(request, view)

    async def qr(self, request: web.Request) -> web.StreamResponse:
        """The link's QR code as a PNG to print, the picture /link sends."""
        from bot.reports.qr import qr_png

        async def view(deps: Deps) -> web.StreamResponse:
            survey = self._survey(deps, request)
            segment = request.query.get("segment") or None
            link = _new_link(deps, survey, segment)
            name = "-".join(part for part in ("qr", survey.id, segment) if part)
            return web.Response(
                body=qr_png(link),
                headers={
                    "Content-Type": "image/png",
                    "Content-Disposition": f'attachment; filename="{name}.png"',
                },
            )

        return await self._answer(request, view, ticket=True)


def _listed(text: str) -> list[str]:
    """A comma-separated query value, each item once, in order, at most MAX_COMPARED."""
    return list(dict.fromkeys(item for item in text.split(",") if item))[:MAX_COMPARED]


def _new_link(deps: Deps, survey: Survey, segment: str | None) -> str:
    """A survey's deep link for a segment, as /link makes it; pulse surveys' invite links hold a
    secret and are made in the chat."""
    if survey.repeat == "wave":
        raise Refused(
            409,
            _("Invite links of pulse surveys are made in the chat: /link {survey} <team>.").format(
                survey=survey.id
            ),
        )
    username = deps.config.bot_username
    if not username:
        raise Refused(409, _("Set BOT_USERNAME to make links here."))
    try:
        return deep_link(username, Target(survey.id, segment))
    except LinkError as error:
        raise Refused(400, str(error)) from None


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
