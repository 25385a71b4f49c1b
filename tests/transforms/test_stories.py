"""Story clusters: the five seed articles (September 2023 Nagorno-Karabakh offensive) form one story; an unrelated
article and the same text far outside the time window do not join it."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import SEEDS
from transforms.stories import StoryArticle, cluster_stories, clusters_table, terms

# Publication times as the pipeline reads them from the seeds (two give none).
SEED_DATES = [None, datetime(2023, 11, 29), datetime(2023, 9, 21, 2, 49), None, datetime(2023, 9, 22)]
UNRELATED = (
    "Harbour Tram Extension Approved\n"
    "The city council voted on Thursday to expand the tram network to the northern suburbs by 2030. "
    "The plan adds twelve stations and is expected to carry forty thousand passengers a day, officials said. "
    "Opposition councillors questioned the cost, which they put at more than one billion euros, and asked for "
    "an independent review of the passenger forecasts before construction contracts are signed."
)


def _seeds() -> list[StoryArticle]:
    paths = sorted(SEEDS.iterdir())
    return [
        StoryArticle(f"seed{index}", published, path.read_text(encoding="utf-8"))
        for index, (path, published) in enumerate(zip(paths, SEED_DATES, strict=True))
    ]


def _clusters(assignments: list[tuple[str, str]]) -> dict[str, set[str]]:
    clusters: dict[str, set[str]] = {}
    for cluster_id, article_id in assignments:
        clusters.setdefault(cluster_id, set()).add(article_id)
    return clusters


def test_seed_articles_form_one_story_and_unrelated_article_stays_out() -> None:
    articles = [*_seeds(), StoryArticle("tram", datetime(2023, 9, 21), UNRELATED)]
    clusters = _clusters(cluster_stories(articles))
    assert clusters == {"seed2": {f"seed{index}" for index in range(5)}, "tram": {"tram"}}


def test_every_article_gets_exactly_one_cluster() -> None:
    assignments = cluster_stories(_seeds())
    assert sorted(article_id for _, article_id in assignments) == [f"seed{index}" for index in range(5)]


def test_same_vocabulary_outside_the_window_is_another_story() -> None:
    seeds = _seeds()
    revival = StoryArticle("later", datetime(2024, 9, 20), seeds[2].text)
    clusters = _clusters(cluster_stories([*seeds, revival]))
    assert clusters["later"] == {"later"}


def test_clustering_ignores_input_order() -> None:
    articles = [*_seeds(), StoryArticle("tram", datetime(2023, 9, 21), UNRELATED)]
    assert sorted(cluster_stories(articles)) == sorted(cluster_stories(articles[::-1]))


def test_terms_drop_stop_words_short_words_and_numbers() -> None:
    assert terms("The 2023 offensive in Nagorno-Karabakh was over in a day.") == [
        "offensive",
        "nagorno",
        "karabakh",
    ]


def test_clusters_table_rows() -> None:
    assert clusters_table([("a", "a"), ("a", "b")]).to_pylist() == [
        {"cluster_id": "a", "article_id": "a"},
        {"cluster_id": "a", "article_id": "b"},
    ]
