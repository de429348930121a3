"""A complete demo strategy: Tidewater, a meal-planning app for busy families.

Every item type is filled and linked along the spine (problem → persona → goal → feature
→ roadmap item → key result → feedback), the way a product manager would write it a
few months into the work. Dates are relative to :data:`ANCHOR` so the demo is the same
every time it is created. Everything is written through the services (and so validated
by the Create schemas) in one transaction: either the whole demo exists or none of it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items

#: "Today" in the demo: the strategy review at the start of September 2026.
ANCHOR = date(2026, 9, 1)

DEMO_CANVAS = {
    "name": "Tidewater — FY27 product strategy",
    "product": "Tidewater",
    "description": (
        "Strategy for Tidewater, the meal-planning app that plans a family's week of "
        "dinners from what is already in the fridge and re-plans in one tap when the week "
        "changes. Written for the September 2026 strategy review: four features have "
        "shipped since the spring beta, and the next two quarters decide whether the "
        "grocery-cart handoff becomes the paid tier."
    ),
    "authors": "Priya Raman (Product), Tomás Ortega (Design), Wen Li (Engineering)",
}


def day(offset: int) -> date:
    """The date ``offset`` days from the anchor (negative: before it)."""
    return ANCHOR + timedelta(days=offset)


def create_demo_canvas(*, session: Session) -> m.Canvas:
    """Create the Tidewater demo canvas and return it (committed)."""
    canvas = canvases.create_canvas(session=session, canvas_in=DEMO_CANVAS, commit=False)
    token = canvas.token
    try:
        _fill(session, token)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return canvases.get_canvas(session=session, canvas_token=token)


def _fill(session: Session, token: str) -> None:
    def add(item_kind: str, /, **data: Any) -> int:
        row = items.create_item(
            session=session, canvas_token=token, kind=item_kind, data=data, commit=False
        )
        assert row.id is not None
        return row.id

    # ------------------------------------------------------- 1. problem & audience
    p_decide = add(
        "problem",
        title="Deciding what's for dinner eats the week",
        statement=(
            "Dual-income parents with children under 12 spend a median 47 minutes a week "
            "deciding what to cook and make 2.3 unplanned grocery trips a week for "
            "forgotten items. By Wednesday the plan has usually collapsed: these families "
            "order takeout 2.1 nights a week (median $68 a night) and throw away about a "
            "third of the fresh produce they bought."
        ),
        impact=(
            "For a family of four that is roughly $7,000 a year in takeout and $1,400 in "
            "wasted food, and the planning lands on one parent (the 'default planner') in "
            "81% of the households we interviewed."
        ),
    )
    p_change = add(
        "problem",
        title="Plans break as soon as the week changes",
        statement=(
            "64% of the 612 parents we surveyed say a schedule change (a late meeting, "
            "practice moved, a sick child) breaks their meal plan at least twice a week. "
            "Every planner they have tried assumes a stable week and none re-plans around "
            "leftovers or what is already in the fridge."
        ),
        impact=(
            "A broken plan is the moment families fall back to takeout: in the diary study "
            "73% of takeout nights followed a same-day schedule change."
        ),
    )

    dana = add(
        "persona",
        name="Dana, the default planner",
        kind="persona",
        description=(
            "38, project manager, two kids (6 and 9), partner works full time. Plans "
            "every dinner and keeps the grocery list in her head and three apps."
        ),
        jobs=(
            "Decide the week's dinners in one sitting; make sure there's always something "
            "the kids will eat; keep the grocery run to once a week."
        ),
        pains=(
            "Sunday-evening planning takes close to an hour; the list is never complete; "
            "feels guilty about takeout and wasted food."
        ),
        gains=(
            "Dinner decided before 5 pm without thinking about it; partner can pick up "
            "groceries without a phone call."
        ),
        problem_id=p_decide,
    )
    marcus = add(
        "persona",
        name="Marcus, the shift-working co-parent",
        kind="persona",
        description=(
            "41, ER nurse on rotating shifts, cooks two or three nights a week when his "
            "shift allows. Shares the planning with his husband."
        ),
        jobs="Know tonight's dinner and whether the ingredients are home before leaving work.",
        pains=(
            "The plan assumes he is home at 6; finds out at 5:30 that an ingredient is "
            "missing; duplicate purchases because the list lives on someone else's phone."
        ),
        gains="Swap tonight's dinner for something quicker in one tap; one shared list.",
        problem_id=p_change,
    )
    aisha = add(
        "persona",
        name="Aisha, the allergy-managing parent",
        kind="persona",
        description=(
            "34, teacher, her 5-year-old has a tree-nut and sesame allergy; "
            "reads every label twice."
        ),
        jobs="Plan meals the whole family can eat without a separate dinner for one child.",
        pains=(
            "Recipe apps filter by diet, not by allergen; substitutions are guesswork; "
            "can't trust crowd-sourced recipes."
        ),
        gains="Every suggested dinner is safe by default and says why.",
        problem_id=p_decide,
    )
    segment = add(
        "persona",
        name="Dual-income US households with kids under 12",
        kind="segment",
        description=(
            "Our beachhead segment: both adults work, at least one child under "
            "12, household income $75k–$200k."
        ),
        jobs="Feed the family well on weeknights with little planning time.",
        pains="Time, food waste and takeout spend.",
        gains="Fewer decisions, lower grocery bill, less waste.",
        size=11_800_000,
        problem_id=p_decide,
    )

    add(
        "alternative",
        name="Mealime",
        kind="competitor",
        strengths=(
            "Polished recipe-first planner with a clean grocery list; strong App Store "
            "ratings; fast onboarding."
        ),
        weaknesses=(
            "Plans from recipes, not from the fridge; no re-planning when the week "
            "changes; list is per person, not per household."
        ),
        url="https://www.mealime.com",
    )
    add(
        "alternative",
        name="Paprika Recipe Manager",
        kind="competitor",
        strengths="Loved by keen cooks: recipe clipping, pantry, meal calendar, one-time price.",
        weaknesses=(
            "Manual: everything is typed in; no suggestions; sync is an afterthought "
            "for households."
        ),
        url="https://www.paprikaapp.com",
    )
    add(
        "alternative",
        name="Meal-kit subscriptions (HelloFresh, Home Chef)",
        kind="alternative",
        strengths="No planning and no shopping; portioned ingredients; predictable.",
        weaknesses=(
            "$9–12 a serving, 3–4x groceries; boxes pile up when the week changes; "
            "kids reject half the menu; 70%+ churn within six months."
        ),
        url="https://www.hellofresh.com",
    )
    add(
        "alternative",
        name="Notes app list + Pinterest board",
        kind="workaround",
        strengths="Free, flexible, already on every phone.",
        weaknesses=(
            "Nothing connects the plan to the list; partner never sees the latest "
            "version; no memory of what worked."
        ),
    )

    add(
        "evidence",
        title="Diary study: 24 families, 3 weeks",
        source="Tidewater research, May 2026",
        summary=(
            "Median 47 min/week planning; 2.3 unplanned trips/week; 73% of takeout "
            "nights followed a same-day schedule change."
        ),
        strength="strong",
        url="https://research.tidewater.example/diary-study-2026-05",
        problem_id=p_decide,
    )
    add(
        "evidence",
        title="Parent survey (n=612)",
        source="Prolific panel, June 2026",
        summary=(
            "64% say a schedule change breaks the plan at least twice a week; 58% "
            "would pay for a plan that adapts; $6.99/month was the median acceptable "
            "price (Van Westendorp)."
        ),
        strength="moderate",
        url="https://research.tidewater.example/survey-2026-06",
        problem_id=p_change,
    )
    add(
        "evidence",
        title="US food waste: 30–40% of the food supply",
        source="USDA",
        summary=(
            "USDA estimates food waste at 30–40% of the US food supply; households "
            "are the largest single share."
        ),
        strength="strong",
        url="https://www.usda.gov/foodwaste/faqs",
        problem_id=p_decide,
    )
    add(
        "evidence",
        title="App-store review mining: 1,900 reviews of 5 planners",
        source="Tidewater research, April 2026",
        summary=(
            "Top complaints: 'plans don't fit my week' (22%), 'can't share with my "
            "partner' (17%), 'too much typing' (15%)."
        ),
        strength="anecdotal",
        problem_id=p_change,
    )

    add(
        "assumption",
        statement="Families accept a plan generated from what's in the fridge instead of "
        "choosing recipes themselves.",
        importance=5,
        evidence=4,
        status="validated",
        test_plan=(
            "Beta cohort A/B: generated plan vs. pick-your-own; success if ≥60% "
            "keep ≥4 generated dinners. Result: 71%."
        ),
        persona_id=dana,
    )
    add(
        "assumption",
        statement="Re-planning must take under 30 seconds or parents fall back to takeout.",
        importance=4,
        evidence=3,
        status="validated",
        test_plan="Time-on-task in 8 moderated tests of 'Swap tonight'; median was 19 s.",
        persona_id=marcus,
    )
    add(
        "assumption",
        statement="Parents will connect a grocery-store account so the list becomes a cart.",
        importance=5,
        evidence=2,
        status="testing",
        test_plan=(
            "Fake-door 'Send to cart' button in 3.3 for 4 weeks; success if ≥25% of "
            "list users tap it and ≥10% finish the mock connect."
        ),
        persona_id=dana,
    )
    add(
        "assumption",
        statement="Households will pay $6.99/month after a 14-day trial.",
        importance=5,
        evidence=1,
        status="untested",
        test_plan=("Paywall test with 2,000 new sign-ups in November; success if trial→paid ≥ 8%."),
        persona_id=segment,
    )
    add(
        "assumption",
        statement="Allergy profiles make a parent trust suggestions without re-checking "
        "every recipe.",
        importance=4,
        evidence=1,
        status="untested",
        test_plan="5 interviews with allergy parents over the profile prototype; look for "
        "'I would cook this without checking'.",
        persona_id=aisha,
    )

    # ------------------------------------------------------------------ 2. vision
    vision = items.list_items(session=session, canvas_token=token, kind="vision")[0]
    items.update_item(
        session=session,
        canvas_token=token,
        kind="vision",
        item_id=vision.id,
        expected_version=vision.version,
        commit=False,
        changes={
            "target": "busy dual-income families with young kids",
            "need": "need dinner decided before 5 pm without a weekend planning session",
            "product_name": "Tidewater",
            "category": "family meal-planning app",
            "benefit": "plans the week from what's already in the fridge and re-plans in one tap",
            "alternative": "recipe apps and meal kits",
            "differentiator": "adapts as the week changes and keeps the household on one list",
            "statement": (
                "For busy dual-income families with young kids who need dinner decided "
                "before 5 pm without a weekend planning session, Tidewater is a family "
                "meal-planning app that plans the week from what's already in the fridge "
                "and re-plans in one tap; unlike recipe apps and meal kits, it adapts as "
                "the week changes and keeps the whole household on one list."
            ),
            "value_proposition": (
                "Get back an hour a week and about $150 a month: Tidewater turns what you "
                "have into a week of dinners your kids will eat, rebuilds the plan when the "
                "week changes, and keeps one grocery list everyone in the house can see."
            ),
            "north_star_metric": "Planned dinners cooked per active household per week",
            "north_star_target": "3.5 by June 2027 (from 1.4 at the spring beta)",
            "non_goals": (
                "No calorie counting or diet coaching. No recipe social network. No own "
                "grocery delivery (we hand off to partners). Not for single-person "
                "households in FY27."
            ),
        },
    )

    g_fast = add(
        "goal",
        title="Make weeknight dinner a five-minute decision",
        description="Cut planning time and keep the plan alive through the week.",
        persona_id=dana,
    )
    g_waste = add(
        "goal",
        title="Cut food waste and extra grocery trips",
        description="Use what's bought before it spoils; one shop a week.",
        persona_id=segment,
    )
    g_house = add(
        "goal",
        title="Keep the whole household on one plan",
        description="Both adults plan, shop and swap from the same plan.",
        persona_id=marcus,
    )

    # ----------------------------------------------------------------- 3. designs
    def feature(title: str, **data: Any) -> int:
        return add("feature", title=title, **data)

    e_fridge = feature(
        "Fridge-first planning",
        kind="epic",
        status="building",
        description="Plans built from what the household already has, then what to buy.",
        persona_id=dana,
        goal_id=g_fast,
        reach=18_000,
        impact=3,
        confidence=80,
        effort=9,
        ease=4,
        value=10,
        moscow="must",
        kano="performance",
    )
    e_house = feature(
        "Household sync",
        kind="epic",
        status="building",
        description="Everyone in the household sees and changes the same plan and list.",
        persona_id=marcus,
        goal_id=g_house,
        reach=12_000,
        impact=2,
        confidence=80,
        effort=6,
        ease=5,
        value=8,
        moscow="must",
        kano="basic",
    )
    f_plan = feature(
        "One-tap weekly plan",
        kind="feature",
        status="shipped",
        epic_id=e_fridge,
        description=(
            "Generates five weeknight dinners from pantry items, kids' likes and "
            "the family calendar; each dinner can be locked or re-rolled."
        ),
        persona_id=dana,
        goal_id=g_fast,
        reach=15_000,
        impact=3,
        confidence=90,
        effort=4,
        external_key="TW-88",
        external_url="https://tidewater.atlassian.net/browse/TW-88",
        ease=6,
        value=10,
        moscow="must",
        kano="performance",
    )
    f_list = feature(
        "Shared household grocery list",
        kind="feature",
        status="shipped",
        epic_id=e_house,
        description="One live list for the household, grouped by store aisle, with who-added.",
        persona_id=marcus,
        goal_id=g_house,
        reach=11_000,
        impact=2,
        confidence=90,
        effort=2,
        external_key="TW-102",
        external_url="https://tidewater.atlassian.net/browse/TW-102",
        ease=8,
        value=8,
        moscow="must",
        kano="basic",
    )
    f_swap = feature(
        "Swap tonight's dinner",
        kind="story",
        status="shipped",
        epic_id=e_fridge,
        description=(
            "As a parent whose evening just changed, I want to swap tonight's "
            "dinner for something quicker using what's home, so I don't order "
            "takeout."
        ),
        persona_id=marcus,
        goal_id=g_fast,
        reach=9_000,
        impact=2,
        confidence=80,
        effort=1.5,
        external_key="TW-131",
        external_url="https://tidewater.atlassian.net/browse/TW-131",
        ease=8,
        value=9,
        moscow="must",
        kano="delighter",
    )
    f_lunch = feature(
        "Leftover lunch suggestions",
        kind="feature",
        status="shipped",
        description="Suggests next-day lunches from dinner leftovers.",
        persona_id=dana,
        goal_id=g_waste,
        reach=6_000,
        impact=0.5,
        confidence=50,
        effort=2,
        external_key="TW-117",
        external_url="https://tidewater.atlassian.net/browse/TW-117",
        ease=6,
        value=4,
        moscow="could",
        kano="indifferent",
    )
    f_receipt = feature(
        "Pantry scan by receipt photo",
        kind="story",
        status="building",
        epic_id=e_fridge,
        description=(
            "As the parent who shops, I want to photograph the receipt so the "
            "pantry fills itself, so I never type groceries in."
        ),
        persona_id=dana,
        goal_id=g_waste,
        reach=10_000,
        impact=2,
        confidence=60,
        effort=3,
        reach_low=6_000,
        reach_high=14_000,
        effort_low=2,
        effort_high=5,
        ease=5,
        value=8,
        moscow="should",
        kano="delighter",
    )
    f_useit = feature(
        "Use-it-up reminders",
        kind="story",
        status="planned",
        epic_id=e_fridge,
        description=(
            "As a parent, I want a nudge two days before produce spoils with a dinner that uses it."
        ),
        persona_id=dana,
        goal_id=g_waste,
        reach=8_000,
        impact=1,
        confidence=70,
        effort=1,
        ease=8,
        value=6,
        moscow="should",
        kano="performance",
    )
    f_allergy = feature(
        "Allergy-safe member profiles",
        kind="feature",
        status="planned",
        description=(
            "Per-member allergens and dislikes; unsafe recipes never suggested; "
            "every substitution explained."
        ),
        persona_id=aisha,
        goal_id=g_fast,
        reach=3_500,
        impact=3,
        confidence=70,
        effort=3,
        ease=5,
        value=9,
        moscow="must",
        kano="basic",
    )
    f_cart = feature(
        "Send list to grocery cart",
        kind="feature",
        status="planned",
        description="Turn the list into an Instacart or Kroger cart with preferred brands.",
        persona_id=dana,
        goal_id=g_waste,
        reach=7_000,
        impact=2,
        confidence=50,
        effort=5,
        reach_low=3_000,
        reach_high=12_000,
        effort_low=3,
        effort_high=9,
        ease=3,
        value=9,
        moscow="should",
        kano="delighter",
    )
    f_veto = feature(
        "Kid veto votes",
        kind="story",
        status="idea",
        epic_id=e_house,
        description="As a kid, I can veto one dinner a week, so dinner fights happen in-app.",
        persona_id=marcus,
        goal_id=g_house,
        reach=4_000,
        impact=0.5,
        confidence=40,
        effort=1,
        ease=7,
        value=5,
        moscow="could",
        kano="delighter",
    )
    f_batch = feature(
        "Batch-cook Sunday mode",
        kind="feature",
        status="idea",
        description="A Sunday prep session that cooks components for three weeknights.",
        persona_id=dana,
        goal_id=g_fast,
        reach=3_000,
        impact=1,
        confidence=50,
        effort=2,
        ease=6,
        value=6,
        moscow="could",
        kano="performance",
    )
    f_deals = feature(
        "Deals-aware plans",
        kind="feature",
        status="idea",
        description="Bias the weekly plan toward what's on sale at the family's store.",
        persona_id=segment,
        goal_id=g_waste,
        reach=9_000,
        impact=1,
        confidence=30,
        effort=4,
        reach_low=2_000,
        reach_high=15_000,
        effort_low=3,
        effort_high=8,
        ease=3,
        value=6,
        moscow="wont",
        kano="delighter",
    )

    # The team's own weighted scoring, next to RICE: each feature scored 0-10 per criterion.
    criteria = [
        add("criterion", name=name, weight=weight, description=description)
        for name, weight, description in [
            ("Strategic fit", 40, "Moves the north star: planned dinners actually cooked."),
            ("Revenue potential", 35, "Makes the paid tier (cart handoff) worth paying for."),
            ("Time to value", 25, "A new household feels it in its first week."),
        ]
    ]
    criterion_scores = {  # strategic fit, revenue potential, time to value
        e_fridge: (9, 7, 6),
        e_house: (7, 8, 5),
        f_plan: (10, 7, 9),
        f_list: (7, 8, 9),
        f_swap: (9, 5, 8),
        f_lunch: (3, 2, 5),
        f_receipt: (8, 6, 6),
        f_useit: (7, 3, 6),
        f_allergy: (8, 7, 7),
        f_cart: (6, 10, 4),
        f_veto: (4, 3, 7),
        f_batch: (5, 4, 3),
        f_deals: (4, 8, 3),
    }
    for feature_id, scores in criterion_scores.items():
        for criterion_id, score in zip(criteria, scores, strict=True):
            add("criterion_score", feature_id=feature_id, criterion_id=criterion_id, score=score)

    add(
        "sketch",
        feature_id=f_plan,
        caption="One-tap plan — week view, v3 (Figma)",
        url="https://www.figma.com/design/tw4Plan7Week/One-tap-plan?node-id=12-480",
    )
    add(
        "sketch",
        feature_id=f_swap,
        caption="Swap tonight — bottom sheet flow",
        url="https://www.figma.com/design/tw4Swap2Sheet/Swap-tonight?node-id=3-51",
    )
    add(
        "sketch",
        feature_id=f_allergy,
        caption="Allergy profile — member editor wireframe",
        url="https://www.figma.com/design/tw4Allergy9/Member-profiles?node-id=1-2",
    )

    # ----------------------------------------------------------- 4. implementation
    def roadmap(title: str, **data: Any) -> int:
        return add("roadmap_item", title=title, **data)

    r_receipt = roadmap(
        "Receipt scan v2: line-item OCR",
        feature_id=f_receipt,
        lane="now",
        start_date=day(-29),
        end_date=day(24),
        owner="Wen Li",
        team="Pantry",
        status="in_progress",
        milestone="Fall release 3.4",
        notes="Target 92% line accuracy on the 400-receipt test set (now 81%).",
    )
    r_swap = roadmap(
        "Swap tonight: suggest from leftovers",
        feature_id=f_swap,
        lane="now",
        start_date=day(-15),
        end_date=day(29),
        owner="Jordan Kim",
        team="Planning",
        status="in_progress",
        milestone="Fall release 3.4",
    )
    r_useit = roadmap(
        "Use-it-up push reminders",
        feature_id=f_useit,
        lane="now",
        start_date=day(0),
        end_date=day(44),
        owner="Wen Li",
        team="Pantry",
        status="planned",
        milestone="Fall release 3.4",
    )
    roadmap(
        "Remove leftover lunches and its settings",
        feature_id=f_lunch,
        lane="now",
        start_date=day(-8),
        end_date=day(10),
        owner="Jordan Kim",
        team="Planning",
        status="done",
        notes="Rolled back after the August review; keep the data for 90 days.",
    )
    r_allergy = roadmap(
        "Allergy-safe member profiles",
        feature_id=f_allergy,
        lane="next",
        start_date=day(48),
        end_date=day(101),
        owner="Sofia Brandt",
        team="Planning",
        status="planned",
        milestone="Winter release 3.6",
        notes="Legal review of the safety wording before beta.",
    )
    r_invite = roadmap(
        "Partner invite flow redesign",
        feature_id=f_list,
        lane="next",
        start_date=day(34),
        end_date=day(73),
        owner="Tomás Ortega",
        team="Household",
        status="planned",
        milestone="Winter release 3.6",
    )
    r_cart = roadmap(
        "Grocery-cart handoff: Instacart pilot",
        feature_id=f_cart,
        lane="next",
        start_date=day(62),
        end_date=day(150),
        owner="Priya Raman",
        team="Commerce",
        status="blocked",
        milestone="Holiday pilot",
        notes="Blocked on the partner API agreement (legal, expected mid-October).",
    )
    r_veto = roadmap(
        "Kid veto votes",
        feature_id=f_veto,
        lane="later",
        start_date=day(153),
        end_date=day(210),
        owner="Tomás Ortega",
        team="Household",
        status="planned",
        milestone="Spring release 4.0",
    )
    roadmap(
        "Batch-cook Sunday mode",
        feature_id=f_batch,
        lane="later",
        start_date=day(160),
        end_date=day(235),
        owner="Jordan Kim",
        team="Planning",
        status="planned",
        milestone="Spring release 4.0",
    )
    r_deals = roadmap(
        "Deals-aware plans (store circulars)",
        feature_id=f_deals,
        lane="later",
        start_date=day(212),
        end_date=day(302),
        owner="Priya Raman",
        team="Commerce",
        status="planned",
        milestone="Summer release 4.2",
    )

    add("dependency", item_id=r_useit, depends_on_id=r_receipt)
    add("dependency", item_id=r_veto, depends_on_id=r_invite)
    add("dependency", item_id=r_deals, depends_on_id=r_cart)

    # Key results (the KPIs of step 5), created after the roadmap items they ride on.
    kr_time = add(
        "key_result",
        metric="Median weekly planning time",
        unit="min",
        baseline=47,
        target=10,
        target_date=date(2027, 3, 31),
        goal_id=g_fast,
        roadmap_item_id=r_swap,
    )
    kr_cooked = add(
        "key_result",
        metric="Planned dinners cooked per household per week",
        unit="dinners",
        baseline=1.4,
        target=3.5,
        target_date=date(2027, 6, 30),
        goal_id=g_fast,
        roadmap_item_id=r_swap,
    )
    kr_used = add(
        "key_result",
        metric="Planned ingredients used before they spoil",
        unit="%",
        baseline=62,
        target=85,
        target_date=date(2027, 3, 31),
        goal_id=g_waste,
        roadmap_item_id=r_useit,
    )
    kr_trips = add(
        "key_result",
        metric="Unplanned grocery trips per week",
        unit="trips",
        baseline=2.3,
        target=1.0,
        target_date=date(2027, 3, 31),
        goal_id=g_waste,
        roadmap_item_id=r_receipt,
    )
    kr_multi = add(
        "key_result",
        metric="Households with 2+ active members",
        unit="%",
        baseline=18,
        target=45,
        target_date=date(2027, 6, 30),
        goal_id=g_house,
        roadmap_item_id=r_invite,
    )

    add(
        "risk",
        title="Grocery partner refuses or delays the cart API",
        likelihood=3,
        impact=5,
        owner="Priya Raman",
        status="open",
        mitigation=(
            "Run Kroger and Instacart talks in parallel; ship a 'copy list to "
            "store app' fallback so the pilot has a baseline either way."
        ),
        roadmap_item_id=r_cart,
    )
    add(
        "risk",
        title="Receipt OCR stays below 90% on crumpled or long receipts",
        likelihood=4,
        impact=3,
        owner="Wen Li",
        status="mitigating",
        mitigation=(
            "Let users confirm low-confidence lines in one swipe; evaluate a second "
            "OCR vendor on the same 400-receipt set by end of September."
        ),
        roadmap_item_id=r_receipt,
    )
    add(
        "risk",
        title="Use-it-up reminders feel naggy and drive notification opt-outs",
        likelihood=3,
        impact=3,
        owner="Wen Li",
        status="open",
        mitigation="At most one reminder a day, only with a dinner attached; watch opt-outs.",
        roadmap_item_id=r_useit,
    )
    add(
        "risk",
        title="Allergy profiles give a false sense of safety",
        likelihood=2,
        impact=5,
        owner="Sofia Brandt",
        status="mitigating",
        mitigation=(
            "Never claim 'safe'; show the allergens checked and the source; legal "
            "review of wording; clear 'always check labels' step."
        ),
        roadmap_item_id=r_allergy,
    )

    # ------------------------------------------------------ 5. feedback, flaws, fixes
    def feedback(offset: int, text: str, **data: Any) -> int:
        return add("feedback", received_on=day(offset), text=text, **data)

    feedback(
        -88,
        "Sunday planning went from an hour to ten minutes. I just lock the two dinners "
        "the kids love and re-roll the rest.",
        source="interview",
        kind="praise",
        sentiment="positive",
        author="Beta family #14",
        feature_id=f_plan,
        key_result_id=kr_time,
        persona_id=dana,
    )
    fb_receipt_bad = feedback(
        -83,
        "The receipt scan read 'BNLS SKNLS CHKN BRST' as 'bonus skin' and put it in the "
        "pantry. I gave up and typed it.",
        source="support",
        kind="bug",
        sentiment="negative",
        author="Ticket 2291",
        feature_id=f_receipt,
        key_result_id=kr_trips,
        persona_id=dana,
    )
    feedback(
        -79,
        "Can my husband see the list on his phone without my password?",
        source="support",
        kind="question",
        sentiment="neutral",
        author="Ticket 2318",
        feature_id=f_list,
        key_result_id=kr_multi,
        persona_id=marcus,
    )
    fb_swap_slow = feedback(
        -74,
        "Swap took forever to load at 5:40 pm and then suggested a 50-minute lasagna.",
        source="usability_test",
        kind="problem",
        sentiment="negative",
        author="Moderated test P3",
        feature_id=f_swap,
        key_result_id=kr_cooked,
        persona_id=marcus,
    )
    feedback(
        -70,
        "Sessions that open Swap tonight cook the planned dinner 2.4x more often than "
        "sessions that don't.",
        source="analytics",
        kind="praise",
        sentiment="positive",
        author="Amplitude, week 27",
        feature_id=f_swap,
        key_result_id=kr_cooked,
        persona_id=marcus,
    )
    feedback(
        -66,
        "Please let me mark my son's nut allergy once instead of checking every recipe.",
        source="survey",
        kind="request",
        sentiment="neutral",
        author="June survey, #417",
        feature_id=f_allergy,
        persona_id=aisha,
    )
    fb_list_dup = feedback(
        -61,
        "We both added milk and now we have four litres. The list doesn't show who added "
        "what until you refresh.",
        source="interview",
        kind="problem",
        sentiment="negative",
        author="Beta family #6",
        feature_id=f_list,
        key_result_id=kr_multi,
        persona_id=marcus,
    )
    feedback(
        -57,
        "Only 3% of plans ever open the leftover lunch card.",
        source="analytics",
        kind="problem",
        sentiment="negative",
        author="Amplitude, week 31",
        feature_id=f_lunch,
        key_result_id=kr_used,
        persona_id=dana,
    )
    feedback(
        -52,
        "My partner finally does the shopping because the list is sorted by aisle. "
        "Life-changing, honestly.",
        source="survey",
        kind="praise",
        sentiment="positive",
        author="June survey, #88",
        feature_id=f_list,
        key_result_id=kr_multi,
        persona_id=marcus,
    )
    fb_plan_repeat = feedback(
        -47,
        "Third week in a row it suggested tacos on Tuesday. The kids are thrilled, I'm less so.",
        source="interview",
        kind="problem",
        sentiment="neutral",
        author="Beta family #21",
        feature_id=f_plan,
        key_result_id=kr_cooked,
        persona_id=dana,
    )
    feedback(
        -41,
        "Would pay for it if it put the list straight into my Kroger cart.",
        source="interview",
        kind="request",
        sentiment="positive",
        author="Beta family #9",
        feature_id=f_cart,
        persona_id=dana,
    )
    fb_lunch_slow = feedback(
        -36,
        "Plan generation p95 went from 1.8 s to 5.9 s after leftover lunches shipped.",
        source="analytics",
        kind="bug",
        sentiment="negative",
        author="Grafana alert",
        feature_id=f_lunch,
        key_result_id=kr_time,
        persona_id=dana,
    )
    feedback(
        -29,
        "The swap sheet is great but I couldn't find it from the lock screen widget.",
        source="usability_test",
        kind="problem",
        sentiment="neutral",
        author="Unmoderated test U12",
        feature_id=f_swap,
        persona_id=marcus,
    )
    feedback(
        -22,
        "If the app says a dinner is safe and it isn't, that's my kid in the ER. "
        "Show me what you checked.",
        source="interview",
        kind="problem",
        sentiment="negative",
        author="Allergy parent A2",
        feature_id=f_allergy,
        persona_id=aisha,
    )
    feedback(
        -14,
        "We throw away way less spinach now. The plan used it up on Thursday.",
        source="survey",
        kind="praise",
        sentiment="positive",
        author="August pulse, #203",
        feature_id=f_plan,
        key_result_id=kr_used,
        persona_id=segment,
    )
    feedback(
        -6,
        "Receipt scan v2 beta got all 31 lines of my Costco receipt right.",
        source="usability_test",
        kind="praise",
        sentiment="positive",
        author="Beta tester R7",
        feature_id=f_receipt,
        key_result_id=kr_trips,
        persona_id=dana,
    )

    add(
        "flaw",
        title="Receipt OCR misreads abbreviated product names",
        description="Line accuracy is 81%; store abbreviations are mapped to wrong items.",
        severity="high",
        fix="Abbreviation dictionary per chain + confirm-low-confidence swipe.",
        fix_owner="Wen Li",
        fix_status="in_progress",
        feature_id=f_receipt,
        feedback_id=fb_receipt_bad,
    )
    add(
        "flaw",
        title="Swap suggests dinners longer than the time left",
        description="Swap ignores the clock; at 5:40 pm it offered a 50-minute recipe.",
        severity="high",
        fix="Filter by minutes until the usual dinner time; cache suggestions.",
        fix_owner="Jordan Kim",
        fix_status="fixed",
        feature_id=f_swap,
        feedback_id=fb_swap_slow,
    )
    add(
        "flaw",
        title="Shared list does not update live",
        description="Changes by the partner appear only after a manual refresh.",
        severity="medium",
        fix="Move the list to the realtime channel; show who added each item.",
        fix_owner="Tomás Ortega",
        fix_status="fixed",
        feature_id=f_list,
        feedback_id=fb_list_dup,
    )
    add(
        "flaw",
        title="Plans repeat the same dinner on the same weekday",
        description="The generator has no memory of the last three weeks.",
        severity="low",
        fix="Penalise recipes used on the same weekday in the last 3 weeks.",
        fix_owner="Jordan Kim",
        fix_status="open",
        feature_id=f_plan,
        feedback_id=fb_plan_repeat,
    )
    add(
        "flaw",
        title="Leftover lunches tripled plan generation time",
        description="The lunch pass ran synchronously inside plan generation.",
        severity="critical",
        fix="Roll the feature back (see decision); remove the lunch pass.",
        fix_owner="Jordan Kim",
        fix_status="fixed",
        feature_id=f_lunch,
        feedback_id=fb_lunch_slow,
    )

    readings: dict[int, list[float]] = {
        kr_time: [38, 29, 24, 21],
        kr_cooked: [1.9, 2.3, 2.6, 2.8],
        kr_used: [64, 67, 71, 73],
        kr_trips: [2.1, 1.9, 1.8, 1.6],
        kr_multi: [22, 27, 31, 36],
    }
    month_ends = [day(-93), day(-63), day(-32), day(-1)]  # end of May, June, July, August
    notes = [
        "Spring beta cohort",
        "After one-tap plan GA",
        "After shared list GA",
        "After swap tonight GA",
    ]
    for kr, values in readings.items():
        for measured_on, value, note in zip(month_ends, values, notes, strict=True):
            add("kpi_reading", key_result_id=kr, measured_on=measured_on, value=value, note=note)

    add(
        "decision",
        feature_id=f_plan,
        decision="victory",
        decided_on=day(-20),
        rationale=(
            "Median planning time fell from 47 to 24 minutes and 71% of households "
            "keep four or more generated dinners; move the team to swap and pantry."
        ),
    )
    add(
        "decision",
        feature_id=f_list,
        decision="victory",
        decided_on=day(-20),
        rationale=(
            "Households with 2+ active members doubled (18% → 36%) and the live-sync "
            "fix ended duplicate purchases; only the invite flow needs work."
        ),
    )
    add(
        "decision",
        feature_id=f_swap,
        decision="iterate",
        decided_on=day(-10),
        rationale=(
            "Cooked-dinner rate is up 2.4x when swap is used, but only 19% of "
            "evening sessions find it; add the widget entry and leftover suggestions."
        ),
    )
    add(
        "decision",
        feature_id=f_lunch,
        decision="rollback",
        decided_on=day(-8),
        rationale=(
            "3% of plans open the card and it tripled plan-generation time; remove it "
            "and revisit lunches only if the waste KPI stalls."
        ),
    )
