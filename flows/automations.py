"""Apply ``automations.yaml`` to a Prefect server: create each automation, or update it by name.

``prefect automation create --from-file`` takes the same file, but creates a second copy
every time it runs and needs the notification block's id written into the file. Here the
file names the block by its slug (``slack-webhook/moviepipe-ops``), the id is looked up,
each automation is validated by Prefect's own model (``AutomationCore``, what the CLI
uses) and then created or updated in place, so applying twice changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from moviepipe.errors import MoviepipeError

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "automations.yaml"
#: The placeholder for the notification block's id in ``automations.yaml``.
NOTIFY_BLOCK = "{{ notify_block }}"


class AutomationError(MoviepipeError):
    pass


def render(notify_block_id: str, path: Path = DEFAULT_FILE) -> list[dict[str, Any]]:
    """The automations of ``path`` with the notification block's id filled in, as the Prefect CLI takes them."""
    from prefect.events.schemas.automations import AutomationCore

    document = yaml.safe_load(Path(path).read_text())
    automations = document.get("automations") if isinstance(document, dict) else None
    if not automations:
        raise AutomationError(f"{path} has no 'automations:' list")
    for automation in automations:
        for action in automation.get("actions", []):
            if action.get("block_document_id") == NOTIFY_BLOCK:
                action["block_document_id"] = notify_block_id
        try:
            AutomationCore.model_validate(automation)
        except ValueError as error:
            raise AutomationError(f"{path}: automation {automation.get('name', '?')!r} is not valid: "
                                  f"{str(error).splitlines()[0]} ...") from None
    return automations


def _client():
    """A client of the server at PREFECT_API_URL; never a temporary one, where automations would vanish."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise AutomationError("PREFECT_API_URL is not set: point it at the Prefect server the automations are for "
                              "(e.g. http://127.0.0.1:4200/api)")
    return get_client(sync_client=True)


def write_rendered(notify_block: str, out: Path, path: Path = DEFAULT_FILE) -> None:
    """``path`` with the block's id filled in, written to ``out`` for `prefect automation create --from-file`."""
    with _client() as client:
        automations = render(str(block_id(client, notify_block)), path)
    Path(out).write_text(yaml.safe_dump({"automations": automations}, sort_keys=False))


def apply(notify_block: str, path: Path = DEFAULT_FILE) -> list[tuple[str, str]]:
    """Create or update every automation of ``path``; returns (name, "created" | "updated")."""
    from prefect.events.schemas.automations import AutomationCore

    with _client() as client:
        automations = render(str(block_id(client, notify_block)), path)
        done = []
        for automation in automations:
            core = AutomationCore.model_validate(automation)
            existing = client.read_automations_by_name(core.name)
            if len(existing) > 1:
                raise AutomationError(f"{len(existing)} automations are named {core.name!r}: delete the extra "
                                      f"ones (prefect automation ls / delete --id) and apply again")
            if existing:
                client.update_automation(existing[0].id, core)
                done.append((core.name, "updated"))
            else:
                client.create_automation(core)
                done.append((core.name, "created"))
    return done


def block_id(client, slug_and_name: str):
    """The id of the block ``<block-type-slug>/<name>`` (as `prefect block ls` shows it)."""
    from prefect.exceptions import ObjectNotFound

    slug, _, name = slug_and_name.partition("/")
    if not (slug and name):
        raise AutomationError(f"--notify-block {slug_and_name!r}: expected <block-type-slug>/<block-name>, "
                              "e.g. slack-webhook/moviepipe-ops (see `prefect block ls`)")
    try:
        return client.read_block_document_by_name(name=name, block_type_slug=slug).id
    except ObjectNotFound:
        raise AutomationError(f"no {slug} block named {name!r} on the Prefect server: save one first "
                              "(docs/orchestration.md, Automations)") from None
