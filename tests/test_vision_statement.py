from strategy_canvas.vision_statement import compose, is_complete


def test_full_sentence() -> None:
    parts = {
        "target": "nurses",
        "need": "need shift swaps",
        "product_name": "Swapr",
        "category": "scheduling app",
        "benefit": "finds a swap in minutes",
        "alternative": "the paper rota",
        "differentiator": "knows everyone's skills.",
    }
    assert compose(parts) == (
        "For nurses who need shift swaps, Swapr is a scheduling app that "
        "finds a swap in minutes; unlike the paper rota, it knows "
        "everyone's skills."
    )
    assert is_complete(parts)


def test_missing_parts_show_as_blanks_and_articles_agree() -> None:
    sentence = compose({"target": "nurses", "category": "app"})
    assert sentence == ("For nurses who [need], [product] is an app that [key benefit].")
    assert not is_complete({"target": "nurses"})
