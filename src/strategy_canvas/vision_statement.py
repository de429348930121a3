"""The classic vision statement, composed from its parts (Geoffrey Moore's template)."""

from __future__ import annotations

PARTS = ("target", "need", "product_name", "category", "benefit", "alternative", "differentiator")


def compose(parts: dict[str, str | None]) -> str:
    """*For [target] who [need], [product] is a [category] that [benefit]; unlike
    [alternative], it [differentiator].* — with the missing parts left as blanks to fill.

    Parameters
    ----------
    parts
        The builder's fields by name (see :data:`PARTS`); empty or missing ones show as
        their placeholder in brackets, so the user sees what is left to write.
    """

    def get(name: str, placeholder: str) -> str:
        value = (parts.get(name) or "").strip().rstrip(".")
        return value or f"[{placeholder}]"

    category = get("category", "category")
    article = "an" if category[:1].lower() in "aeiou" else "a"
    sentence = (
        f"For {get('target', 'target customers')} who {get('need', 'need')}, "
        f"{get('product_name', 'product')} is {article} {category} "
        f"that {get('benefit', 'key benefit')}"
    )
    if (parts.get("alternative") or "").strip() or (parts.get("differentiator") or "").strip():
        sentence += (
            f"; unlike {get('alternative', 'the main alternative')}, "
            f"it {get('differentiator', 'differentiator')}"
        )
    return sentence + "."


def is_complete(parts: dict[str, str | None]) -> bool:
    """Whether every part of the sentence has been written."""
    return all((parts.get(name) or "").strip() for name in PARTS)
