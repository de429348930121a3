"""Tracker exports shaped like the real thing, built here (nothing is downloaded).

Jira Cloud's "Export Excel CSV (all fields)" repeats a column once per value (Sprint,
Labels, Attachment, Comment, Watchers), writes its headers and default values in the
exporting user's language, dates as ``dd/MMM/yy h:mm a`` and descriptions in Jira wiki
markup with ``[~accountid:…]`` mentions. Linear's older exports write dates the way
JavaScript prints them and join labels with ", ". Asana names tasks at any length and
holds a team's own statuses in a custom field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Jira's headers (and default values) in the languages it exports in, as best known.
JIRA_LANGUAGES: dict[str, dict[str, str]] = {
    "en": {
        "Summary": "Summary", "Issue key": "Issue key", "Issue id": "Issue id",
        "Issue Type": "Issue Type", "Status": "Status", "Priority": "Priority",
        "Assignee": "Assignee", "Created": "Created", "Due date": "Due date",
        "Labels": "Labels", "Description": "Description", "Sprint": "Sprint",
        "Attachment": "Attachment", "Comment": "Comment",
        "Story Points": "Custom field (Story Points)", "Parent": "Parent",
        "Status Category": "Status Category",
        "To Do": "To Do", "In Progress": "In Progress", "Done": "Done",
        "High": "High", "Medium": "Medium", "Low": "Low", "Highest": "Highest",
        "Story": "Story", "Epic": "Epic", "Task": "Task",
    },
    "es": {
        "Summary": "Resumen", "Issue key": "Clave de incidencia",
        "Issue id": "ID de la incidencia", "Issue Type": "Tipo de Incidencia",
        "Status": "Estado", "Priority": "Prioridad", "Assignee": "Responsable",
        "Created": "Creada", "Due date": "Fecha de vencimiento", "Labels": "Etiquetas",
        "Description": "Descripción", "Sprint": "Sprint", "Attachment": "Adjunto",
        "Comment": "Comentario", "Story Points": "Campo personalizado (Story Points)",
        "Parent": "Principal", "Status Category": "Categoría de estado",
        "To Do": "Tareas por hacer", "In Progress": "En curso", "Done": "Listo",
        "High": "Alta", "Medium": "Media", "Low": "Baja", "Highest": "Más alta",
        "Story": "Historia", "Epic": "Épica", "Task": "Tarea",
    },
    "de": {
        "Summary": "Zusammenfassung", "Issue key": "Vorgangsschlüssel",
        "Issue id": "Vorgangs-ID", "Issue Type": "Vorgangstyp", "Status": "Status",
        "Priority": "Priorität", "Assignee": "Bearbeiter", "Created": "Erstellt",
        "Due date": "Fälligkeitsdatum", "Labels": "Stichwörter",
        "Description": "Beschreibung", "Sprint": "Sprint", "Attachment": "Anhang",
        "Comment": "Kommentar", "Story Points": "Benutzerdefiniertes Feld (Story Points)",
        "Parent": "Übergeordnet", "Status Category": "Statuskategorie",
        "To Do": "Zu erledigen", "In Progress": "In Arbeit", "Done": "Fertig",
        "High": "Hoch", "Medium": "Mittel", "Low": "Niedrig", "Highest": "Höchste",
        "Story": "Story", "Epic": "Epos", "Task": "Aufgabe",
    },
    "fr": {
        "Summary": "Résumé", "Issue key": "Clé de ticket", "Issue id": "ID de ticket",
        "Issue Type": "Type de ticket", "Status": "État", "Priority": "Priorité",
        "Assignee": "Responsable", "Created": "Création", "Due date": "Date d'échéance",
        "Labels": "Étiquettes", "Description": "Description", "Sprint": "Sprint",
        "Attachment": "Pièce jointe", "Comment": "Commentaire",
        "Story Points": "Champ personnalisé (Story Points)", "Parent": "Parent",
        "Status Category": "Catégorie d'état",
        "To Do": "À faire", "In Progress": "En cours", "Done": "Terminé",
        "High": "Haute", "Medium": "Moyenne", "Low": "Basse", "Highest": "Très haute",
        "Story": "Story", "Epic": "Epic", "Task": "Tâche",
    },
    "pt": {
        "Summary": "Resumo", "Issue key": "Chave do item", "Issue id": "ID do item",
        "Issue Type": "Tipo de item", "Status": "Status", "Priority": "Prioridade",
        "Assignee": "Responsável", "Created": "Criado", "Due date": "Data de vencimento",
        "Labels": "Rótulos", "Description": "Descrição", "Sprint": "Sprint",
        "Attachment": "Anexo", "Comment": "Comentário",
        "Story Points": "Campo personalizado (Story Points)", "Parent": "Pai",
        "Status Category": "Categoria de status",
        "To Do": "A fazer", "In Progress": "Em andamento", "Done": "Concluído",
        "High": "Alta", "Medium": "Média", "Low": "Baixa", "Highest": "Mais alta",
        "Story": "História", "Epic": "Épico", "Task": "Tarefa",
    },
    "ja": {
        "Summary": "要約", "Issue key": "課題キー", "Issue id": "課題 ID",
        "Issue Type": "課題タイプ", "Status": "ステータス", "Priority": "優先度",
        "Assignee": "担当者", "Created": "作成日", "Due date": "期限", "Labels": "ラベル",
        "Description": "説明", "Sprint": "スプリント", "Attachment": "添付ファイル",
        "Comment": "コメント", "Story Points": "カスタムフィールド (Story Points)",
        "Parent": "親", "Status Category": "ステータスカテゴリ",
        "To Do": "To Do", "In Progress": "進行中", "Done": "完了",
        "High": "高", "Medium": "中", "Low": "低", "Highest": "最高",
        "Story": "ストーリー", "Epic": "エピック", "Task": "タスク",
    },
}  # fmt: skip


@dataclass
class JiraIssue:
    key: str
    summary: str
    issue_type: str = "Story"
    status: str = "To Do"
    priority: str = "Medium"
    points: str = ""
    description: str = ""
    labels: list[str] = field(default_factory=list)
    sprints: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    created: str = "12/Aug/24 9:14 AM"
    due: str = ""
    parent: str = ""  # the parent's Issue id
    status_category: str = ""
    issue_id: int = 0


def jira_csv(
    issues: Sequence[JiraIssue],
    *,
    language: str = "en",
    sprints: int = 47,
    labels: int = 5,
    attachments: int = 51,
    comments: int = 3,
    encoding: str = "utf-8-sig",
    line_endings: Sequence[str] = ("\r\n",),
    delimiter: str = ",",
    translate_values: bool = True,
) -> bytes:
    """A Jira Cloud "all fields" export of ``issues``: every multi-valued field has as
    many columns as its fullest issue needs (at least the counts given), records end
    with ``line_endings`` in turn, the file is in ``encoding`` (``utf-8-sig`` has the
    byte-order mark Jira writes; ``cp1252`` is Excel's re-save)."""
    words = JIRA_LANGUAGES[language]

    def word(text: str) -> str:
        return words.get(text, text) if translate_values else text

    head = [words[n] for n in ("Summary", "Issue key", "Issue id", "Issue Type", "Status")]
    head += [words[n] for n in ("Priority", "Assignee", "Created", "Due date")]
    n_labels = max([labels, *(len(i.labels) for i in issues)])
    n_sprints = max([sprints, *(len(i.sprints) for i in issues)])
    n_attach = max([attachments, *(len(i.attachments) for i in issues)])
    n_comments = max([comments, *(len(i.comments) for i in issues)])
    head += [words["Labels"]] * n_labels + [words["Description"]]
    head += [words["Sprint"]] * n_sprints + [words["Attachment"]] * n_attach
    head += [words["Comment"]] * n_comments
    head += [words["Story Points"], words["Parent"], words["Status Category"]]

    def pad(values: list[str], n: int) -> list[str]:
        return values + [""] * (n - len(values))

    records = [_record(head, delimiter)]
    for number, issue in enumerate(issues):
        issue_id = issue.issue_id or 20_000 + number
        records.append(
            _record(
                [
                    issue.summary,
                    issue.key,
                    str(issue_id),
                    word(issue.issue_type),
                    word(issue.status),
                    word(issue.priority),
                    "Wen Li",
                    issue.created,
                    issue.due,
                    *pad(issue.labels, n_labels),
                    issue.description,
                    *pad(issue.sprints, n_sprints),
                    *pad(issue.attachments, n_attach),
                    *pad(issue.comments, n_comments),
                    issue.points,
                    issue.parent,
                    word(issue.status_category),
                ],
                delimiter,
            )
        )
    text = "".join(r + line_endings[i % len(line_endings)] for i, r in enumerate(records))
    return text.encode(encoding)


def _record(cells: Sequence[str], delimiter: str) -> str:
    """One CSV record without its line ending (cells with line breaks are quoted)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().removesuffix("\r\n")


def attachment(n: int) -> str:
    return (
        f"12/Aug/24 9:{n % 60:02d} AM;557058:f1e2d3c4-aaaa-bbbb-cccc-{n:012d};"
        f"screenshot-{n}.png;https://tidewater.atlassian.net/rest/api/3/attachment/"
        f"content/{10000 + n}"
    )


MARKUP = (
    "h2. Context\n"
    "As discussed with [~accountid:5b10ac8d82e05b22cc7d4ef5], the *pantry* view needs "
    "{{expiry}} dates.\n"
    "# first step\n# second step\n"
    "{code:python}\nprint('<script>alert(1)</script>')\n{code}\n"
    "[Spec|https://tidewater.atlassian.net/wiki/x] and !diagram.png|thumbnail!"
)


def linear_csv(rows: Sequence[dict[str, str]]) -> bytes:
    """A Linear export (2023 form): JavaScript dates, labels joined with ", "."""
    head = [
        "ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project",
        "Creator", "Assignee", "Labels", "Cycle Number", "Created", "Updated", "Started",
        "Completed", "Canceled", "Archived", "Due Date", "Parent issue",
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, head, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def asana_csv(
    rows: Sequence[dict[str, str]], *, custom: Sequence[str] = ("Status", "Priority")
) -> bytes:
    """An Asana project export: task names of any length, tags joined with ",", the
    team's own statuses and priorities as custom fields after the standard columns."""
    head = [
        "Task ID", "Created At", "Completed At", "Last Modified", "Name", "Section/Column",
        "Assignee", "Assignee Email", "Start Date", "Due Date", "Tags", "Notes", "Projects",
        "Parent task", "Blocked By (Dependencies)", "Blocking (Dependencies)", *custom,
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, head, lineterminator="\r\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()
