"""What each step is for, the questions it answers, and a short worked example.

Shown at the top of every step page in an expander the user can fold away once they
know it (the choice is remembered for the session).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Guidance:
    why: str
    questions: tuple[str, ...]
    example: str


GUIDANCE: dict[int, Guidance] = {
    1: Guidance(
        why="A strategy starts from a problem worth solving for people you can name. "
        "Write down who has it, what they use today and what you know versus what you "
        "assume — the riskiest assumptions are the first things to test.",
        questions=(
            "What problem do people have, in one or two sentences, and why does it matter now?",
            "Who has it? For each persona or segment: their jobs to be done, pains and gains.",
            "What do they use today (competitors, spreadsheets, doing nothing)? Where is it "
            "strong, where weak?",
            "What evidence do you have (interviews, data, market studies)?",
            "Which assumptions would sink the strategy if wrong, and how sure are you?",
        ),
        example="*Problem:* Parents of young children spend 3+ hours a week planning meals "
        "and still waste a quarter of the food they buy. *Persona:* “Time-poor parent” — "
        "job: feed the family healthily on weeknights; pain: deciding what to cook at 6 pm. "
        "*Riskiest assumption:* families will plan a week ahead if it takes under 10 minutes "
        "(importance 5, evidence 2).",
    ),
    2: Guidance(
        why="The vision says where the product is going and why anyone should care; it "
        "leads the PDF your stakeholders read. Goals with key results make it measurable.",
        questions=(
            "For whom, with which need, is the product what, with which benefit — and how "
            "is it different from the alternative?",
            "What is the value proposition in one paragraph?",
            "Which 2–4 goals, each with key results (metric, baseline, target, date)?",
            "What single north-star metric tells you the product delivers its value?",
            "What will you deliberately not do (non-goals)?",
        ),
        example="*For* time-poor parents *who* need to feed the family well on weeknights, "
        "*Tidewater is a* meal-planning app *that* plans the week in ten minutes; *unlike* "
        "recipe sites, *it* builds the shopping list and uses up what is already in the "
        "fridge. *North star:* weekly planned dinners per active family.",
    ),
    3: Guidance(
        why="Designs turn the vision into concepts, features and stories. Tie each to the "
        "persona it serves and the goal it moves, score it, and let the scores start — not "
        "end — the discussion about priority.",
        questions=(
            "Which concepts or features reach the goals? Break epics into stories.",
            "Which persona does each serve, and which goal does it move?",
            "How big is it: reach, impact, confidence, effort (RICE); value; ease?",
            "Must, should, could or won't — and is it basic, performance or a delighter?",
            "Is there a sketch or mock-up to look at?",
        ),
        example="*Feature:* “Fridge-first planning” — for the time-poor parent, moves the "
        "goal “cut food waste by 30%”. Reach 8,000 families a quarter, impact 2 (high), "
        "confidence 60%, effort 3 person-months → RICE 3,200. MoSCoW: should. Kano: delighter.",
    ),
    4: Guidance(
        why="Implementation plans the work: what is being built now, what comes next and "
        "later, who owns it, what depends on what, and what could go wrong.",
        questions=(
            "Which features go on the roadmap, in which lane (now / next / later)?",
            "Who owns each item, which team builds it, and when does it start and end?",
            "Which milestones matter to stakeholders?",
            "What depends on what?",
            "What are the risks, how likely and how bad, and how will you mitigate them?",
        ),
        example="*Now:* “Weekly planner MVP”, owner Dana (Mobile team), 1 Oct – 15 Nov, "
        "milestone “Beta to 500 families”. *Risk:* grocery-price API rate limits (likelihood "
        "3, impact 4) — mitigation: nightly cache and a fallback price list.",
    ),
    5: Guidance(
        why="Close the loop: what do users and the numbers say? Record feedback against "
        "features, fix what is broken, read the KPIs against their targets, and decide per "
        "feature. New problems or personas go back to step 1.",
        questions=(
            "What did tests, interviews, surveys, analytics and support tell you, about which "
            "feature?",
            "Which flaws did you find, how severe, and who fixes them by when?",
            "Where do the KPIs stand against their targets?",
            "Per shipped feature: declare victory, iterate, or roll back — and why?",
            "Did you learn of a new problem or persona? Send it back to step 1.",
        ),
        example="*Feedback (interview, negative):* “The shopping list doesn't know what's in "
        "my fridge” → flaw “Pantry not considered”, severity high, fix owner Sam. *KPI:* "
        "weekly planned dinners 3.1 against a target of 4. *Decision:* iterate on "
        "“Fridge-first planning”.",
    ),
}


def show(step: int, *, new_to_it: bool = True) -> None:
    """The step's guidance, in an expander that remembers whether it was folded away.

    It opens by itself while the step is still new (``new_to_it``), folded otherwise.
    """
    guide = GUIDANCE[step]
    key = f"guidance.open.{step}"  # outlives the expander's own state, dropped on leaving
    widget = f"guidance.expander.{step}"

    def remember() -> None:
        st.session_state[key] = bool(st.session_state[widget])

    def fold() -> None:
        st.session_state[key] = st.session_state[widget] = False

    panel = st.expander(
        "How to do this step",
        expanded=st.session_state.get(key, new_to_it),
        icon=":material/lightbulb:",
        key=widget,
        on_change=remember,  # and its content is drawn only while it is open
    )
    if not panel.open:
        return
    with panel:
        questions = "\n".join(f"- {q}" for q in guide.questions)
        st.markdown(
            f"{guide.why}\n\n**Questions to answer**\n{questions}\n\n**Example.** {guide.example}"
        )
        st.button("Got it — fold this away", key=f"guidance.fold.{step}", on_click=fold)
