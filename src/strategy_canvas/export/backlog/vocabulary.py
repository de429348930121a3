"""The words trackers use: column names and field values of Jira, Linear, Asana and
Productboard exports, in the languages Jira exports in.

Jira writes its CSV headers and its default values (statuses, priorities, issue types)
in the exporting user's language, so a Spanish team's file says ``Resumen``, ``Estado``
and ``Tareas por hacer`` where an English one says ``Summary``, ``Status`` and ``To Do``.
Custom fields keep the name the admin gave them inside a localized wrapper:
``Custom field (Story Points)``, ``Campo personalizado (Story Points)``,
``Benutzerdefiniertes Feld (Story Points)``; :func:`names_match` looks inside the
brackets, so every language's wrapper works without being listed.

Names are compared by :func:`norm`: case, accents, spaces and punctuation ignored, any
script kept (Japanese headers have no letters a-z).
"""

from __future__ import annotations

import re
import unicodedata

#: Per import field, the column names that mean it, best first. English names come
#: first (Jira, Linear, Asana, Productboard and this app's own CSV), then Jira's
#: Spanish, German, French, Portuguese, Japanese, Italian and Dutch headers.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "title": (
        "Summary", "Title", "Feature name", "Name", "Task name", "Feature", "Issue summary",
        "Resumen", "Zusammenfassung", "Résumé", "Resumo", "要約", "Riepilogo", "Samenvatting",
    ),
    "description": (
        "Description", "Feature description", "Notes", "Body", "Details",
        "Descripción", "Beschreibung", "Descrição", "説明", "Descrizione", "Beschrijving",
    ),
    "external_key": (
        "External key", "Issue key", "Work item key", "Key", "ID", "Feature ID", "Task ID",
        "Identifier",
        "Clave de incidencia", "Clave", "Vorgangsschlüssel", "Schlüssel", "Clé de ticket",
        "Clé", "Chave do item", "Chave", "課題キー", "キー", "Chiave ticket", "Sleutel",
    ),
    "issue_id": (
        "Issue id", "Work item id",
        "ID de la incidencia", "ID de incidencia", "Vorgangs-ID", "ID de ticket", "ID do item",
        "課題 ID", "ID ticket",
    ),
    "external_url": (
        "External link", "External URL", "URL", "Link", "Feature URL", "Productboard URL",
        "Issue URL", "Web URL",
    ),
    "kind": (
        "Issue Type", "Work type", "Work item type", "Type", "Feature type",
        "Tipo de incidencia", "Vorgangstyp", "Type de ticket", "Tipo de item", "課題タイプ",
        "Tipo di ticket",
    ),
    "status": (
        "Status", "Feature status", "State", "Workflow state", "Section/Column",
        "Estado", "État", "Statut", "ステータス", "Stato",
    ),
    "status_category": (
        "Status Category", "Categoría de estado", "Statuskategorie", "Catégorie d'état",
        "Categoria de status", "ステータスカテゴリ",
    ),
    "moscow": (
        "MoSCoW", "Priority", "Feature priority",
        "Prioridad", "Priorität", "Priorité", "Prioridade", "優先度", "Priorità",
    ),
    "effort": (
        "Story Points", "Story point estimate", "Estimate", "Effort", "Points",
        "Puntos de historia", "Estimación de puntos de historia", "Estimación",
        "Story-Point-Schätzung", "Estimation des story points", "Points d'histoire",
        "Pontos de história", "Estimativa de pontos de história", "ストーリーポイント",
        "ストーリーポイントの見積もり",
    ),
    "labels": (
        "Labels", "Tags",
        "Etiquetas", "Stichwörter", "Étiquettes", "Rótulos", "ラベル", "Etichette",
    ),
    "parent": (
        "Parent", "Parent id", "Parent issue", "Parent task", "Epic Link",
        "Principal", "Elemento principal", "Übergeordnet", "Übergeordneter Vorgang",
        "Tâche parente", "Pai", "親", "親課題",
    ),
    "start_date": (
        "Start date", "Start", "Fecha de inicio", "Startdatum", "Date de début",
        "Data de início", "開始日",
    ),
    "due_date": (
        "Due date", "Due", "Target date", "End date", "End",
        "Fecha de vencimiento", "Fälligkeitsdatum", "Date d'échéance", "Data de vencimento",
        "期限", "期日",
    ),
    "reach": ("Reach",),
    "impact": ("Impact",),
    "confidence": ("Confidence",),
    "ease": ("Ease",),
    "value": ("Value", "Business value"),
    "kano": ("Kano",),
    "canvas_ref": ("Strategy Canvas ID",),
}  # fmt: skip

# --------------------------------------------------------------------------- values
# Each maps a value (compared by norm()) to the app's own choice.

FEATURE_STATUS: dict[str, str] = {
    # Jira's defaults, in English and its other languages
    "to do": "idea", "open": "idea", "backlog": "idea", "new": "idea", "reopened": "idea",
    "tareas por hacer": "idea", "por hacer": "idea", "abierto": "idea", "abierta": "idea",
    "zu erledigen": "idea", "offen": "idea", "à faire": "idea", "a faire": "idea",
    "ouvert": "idea", "ouverte": "idea", "a fazer": "idea", "itens pendentes": "idea",
    "aberto": "idea", "未着手": "idea", "オープン": "idea", "da fare": "idea",
    "selected for development": "planned", "ready": "planned",
    "ready for development": "planned", "planned": "planned", "next": "planned",
    "todo": "planned",  # Linear: chosen for a cycle, after Backlog and Triage
    "in progress": "building", "in review": "building", "in development": "building",
    "code review": "building", "testing": "building", "in test": "building",
    "en curso": "building", "en progreso": "building", "en revisión": "building",
    "in arbeit": "building", "in bearbeitung": "building", "en cours": "building",
    "em andamento": "building", "em progresso": "building", "進行中": "building",
    "in corso": "building",
    "done": "shipped", "closed": "shipped", "resolved": "shipped", "released": "shipped",
    "shipped": "shipped", "completed": "shipped", "complete": "shipped",
    "listo": "shipped", "hecho": "shipped", "cerrado": "shipped", "cerrada": "shipped",
    "resuelto": "shipped", "resuelta": "shipped", "fertig": "shipped", "erledigt": "shipped",
    "geschlossen": "shipped", "gelöst": "shipped", "terminé": "shipped",
    "terminée": "shipped", "fermé": "shipped", "fermée": "shipped", "résolu": "shipped",
    "concluído": "shipped", "fechado": "shipped", "resolvido": "shipped", "完了": "shipped",
    "クローズ": "shipped", "解決済み": "shipped", "completato": "shipped",
    "won't do": "dropped", "wont do": "dropped", "won't fix": "dropped",
    "cancelled": "dropped", "canceled": "dropped", "duplicate": "dropped",
    "archived": "dropped", "won't implement": "dropped", "dropped": "dropped",
    "cancelado": "dropped", "abgebrochen": "dropped", "annulé": "dropped",
    # Linear, Productboard, Asana
    "triage": "idea", "new idea": "idea", "candidate": "idea",
    "under consideration": "idea", "not started": "idea", "idea": "idea",
    "building": "building",
}  # fmt: skip

#: Jira's status categories (the "Status Category" column), for statuses of a team's
#: own workflow: a status this does not know takes its category's meaning.
STATUS_CATEGORY: dict[str, str] = {
    "to do": "idea", "new": "idea", "in progress": "building", "done": "shipped",
    "por hacer": "idea", "tareas por hacer": "idea", "en curso": "building",
    "listo": "shipped", "zu erledigen": "idea", "in arbeit": "building", "fertig": "shipped",
    "à faire": "idea", "en cours": "building", "terminé": "shipped", "a fazer": "idea",
    "itens pendentes": "idea", "em andamento": "building", "concluído": "shipped",
    "未着手": "idea", "進行中": "building", "完了": "shipped",
}  # fmt: skip

#: A roadmap item's status, for rows that are roadmap items of this canvas.
ROADMAP_STATUS: dict[str, str] = {
    "to do": "planned", "todo": "planned", "backlog": "planned", "planned": "planned",
    "in progress": "in_progress", "done": "done", "blocked": "blocked",
}  # fmt: skip

#: Priority → MoSCoW. Jira: Highest/Blocker/Critical, High, Medium/Major, Low/Minor,
#: Lowest/Trivial (and its translations); Linear: Urgent, High, Medium, Low; or MoSCoW.
MOSCOW: dict[str, str] = {
    "must": "must", "must have": "must", "should": "should", "should have": "should",
    "could": "could", "could have": "could", "won't": "wont", "wont": "wont",
    "won't have": "wont",
    "highest": "must", "blocker": "must", "critical": "must", "urgent": "must", "p0": "must",
    "p1": "should", "high": "should",
    "medium": "could", "major": "could", "normal": "could", "p2": "could",
    "low": "wont", "lowest": "wont", "minor": "wont", "trivial": "wont", "p3": "wont",
    "p4": "wont",
    "más alta": "must", "alta": "should", "media": "could", "baja": "wont",
    "más baja": "wont", "höchste": "must", "hoch": "should", "mittel": "could",
    "niedrig": "wont", "niedrigste": "wont", "très haute": "must", "haute": "should",
    "moyenne": "could", "basse": "wont", "très basse": "wont", "mais alta": "must",
    "média": "could", "baixa": "wont", "mais baixa": "wont", "最高": "must", "高": "should",
    "中": "could", "低": "wont", "最低": "wont",
}  # fmt: skip

#: Issue type → the kind of feature. Tasks, bugs and the like are features.
KIND: dict[str, str] = {
    "epic": "epic", "épica": "epic", "epos": "epic", "épopée": "epic", "エピック": "epic",
    "initiative": "epic", "épico": "epic", "epico": "epic",
    "story": "story", "user story": "story", "historia": "story",
    "historia de usuario": "story", "história": "story", "récit": "story",
    "ストーリー": "story",
    "feature": "feature", "task": "feature", "bug": "feature", "sub-task": "feature",
    "subtask": "feature", "improvement": "feature", "new feature": "feature",
    "spike": "feature", "tarea": "feature", "subtarea": "feature", "aufgabe": "feature",
    "unteraufgabe": "feature", "fehler": "feature", "tâche": "feature",
    "sous-tâche": "feature", "bogue": "feature", "tarefa": "feature",
    "subtarefa": "feature", "タスク": "feature", "サブタスク": "feature", "バグ": "feature",
    "error": "feature",
}  # fmt: skip

KANO: dict[str, str] = {
    "basic": "basic", "must-be": "basic", "must be": "basic",
    "performance": "performance", "one-dimensional": "performance",
    "delighter": "delighter", "attractive": "delighter", "excitement": "delighter",
    "indifferent": "indifferent", "reverse": "reverse",
}  # fmt: skip

#: Cells that mean "no value" in a tracker's export.
NO_VALUE = {"", "no priority", "none", "-", "n/a", "unassigned", "sin prioridad"}

#: Month names and abbreviations (English, Spanish, German, French, Portuguese,
#: Italian), as Jira writes them in dates like ``24/jun/24`` or ``24/ene/24``.
MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "enero", "januar", "janvier", "janeiro", "gennaio", "jänner"),
    2: ("february", "febrero", "februar", "février", "fevereiro", "febbraio"),
    3: ("march", "marzo", "märz", "mrz", "mars", "março"),
    4: ("april", "abril", "avril", "aprile"),
    5: ("may", "mayo", "mai", "maio", "maggio"),
    6: ("june", "junio", "juni", "juin", "junho", "giugno"),
    7: ("july", "julio", "juli", "juillet", "julho", "luglio"),
    8: ("august", "agosto", "août", "aout"),
    9: ("september", "septiembre", "setiembre", "septembre", "setembro", "settembre"),
    10: ("october", "octubre", "oktober", "octobre", "outubro", "ottobre"),
    11: ("november", "noviembre", "novembre", "novembro"),
    12: ("december", "diciembre", "dezember", "décembre", "dezembro", "dicembre"),
}


def norm(text: str) -> str:
    """``text`` as compared with known names: case, accents, spacing and punctuation
    ignored, letters of every script kept (``Clé de ticket`` → ``cledeticket``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", plain)


def value_key(text: str) -> str:
    """A cell's value as looked up in the value tables above (case and spacing only:
    ``won't`` and ``wont`` differ by design there)."""
    return " ".join(text.casefold().replace("\u2019", "'").split())


_BRACKETED = re.compile(r"^.*[(（]([^()（）]+)[)）]\s*$")


def inner_name(column: str) -> str | None:
    """The name inside a localized custom-field wrapper (``Campo personalizado (Story
    Points)`` → ``Story Points``), or None."""
    found = _BRACKETED.match(column.strip())
    return found.group(1).strip() if found else None


def month_number(word: str) -> int | None:
    """The month a (localized, maybe abbreviated) month name means, or None.

    An abbreviation is a prefix of at least three letters of one month's names
    (``sept``, ``févr``, ``ene``); one that fits two months is no month.
    """
    key = word.casefold().strip(" .")
    if len(key) < 3:
        return None
    plain = norm(key)
    found = {
        number
        for number, names in MONTHS.items()
        for name in names
        if name.startswith(key) or norm(name).startswith(plain)
    }
    return found.pop() if len(found) == 1 else None
