"""The HTML report: self-contained, escaped, deterministic, with real tables and figures."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

import hadrsim
import hadrsim.experimental
from hadrsim.models.pricing import DEFAULT_PRICES
from hadrsim.report import TimelinePick, render_report
from hadrsim.report.html_tables import number

PNG_URI = "data:image/png;base64,"


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of one HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="session")
def report_html(report_study, report_results) -> str:
    return render_report(report_study, report_results)


def test_refers_to_nothing_outside_itself(report_html):
    """No URL, script, stylesheet link, web font or CSS import: it opens offline."""
    lowered = report_html.lower()
    for needle in ("http://", "https://", 'src="/', "src='/", "//cdn", "<script", "<link",
                   "@import", "url(", "@font-face", "<iframe", "<object"):
        assert needle not in lowered, needle
    page = Page(report_html)
    ids = {attrs["id"] for _, attrs in page.tags if attrs.get("id")}
    hrefs = [attrs["href"] for attrs in page.all("a")]
    assert hrefs, "the table of contents links the sections"
    for href in hrefs:
        assert href.startswith("#") and href[1:] in ids, href


def test_every_image_is_an_embedded_png(report_html, check_png):
    """Each <img> is a data URI that decodes to a valid PNG of the size it declares."""
    images = Page(report_html).all("img")
    # 2 Pareto charts, CDFs, nines, t-visibility, and one timeline per design.
    assert len(images) == 5 + 2
    for attrs in images:
        src = attrs["src"]
        assert src.startswith(PNG_URI)
        image = check_png(base64.b64decode(src[len(PNG_URI):], validate=True))
        assert (int(attrs["width"]), int(attrs["height"])) == image.size
        assert attrs["alt"] and len(attrs["alt"]) > 20


def test_tables_are_real_tables(report_html, report_document):
    """The comparison is a <table> with a row per design and a column per policy class."""
    page = Page(report_html)
    tables = page.all("table")
    # policy, verdict, per-scenario figures, scenarios, paired; per design: its scenarios,
    # cost, and every metric per scenario (nothing pooled across scenarios).
    scenarios = len(report_document["scenarios"])
    assert len(tables) == 5 + (2 + scenarios) * len(report_document["designs"])
    compare = report_html.split('<table class="compare">', 1)[1].split("</table>", 1)[0]
    assert compare.count("<tr") == 1 + len(report_document["designs"])
    assert "Hardware: P(met)" in compare and "Region: P(met)" in compare
    assert "RTO" not in compare.split("</thead>")[0].replace("P(met)", "")  # verdict only
    figures = report_html.split('<table class="figures">', 1)[1].split("</table>", 1)[0]
    assert figures.count("<tr") == 1 + scenarios * len(report_document["designs"])
    assert "all scenarios pooled" not in report_html
    text = "".join(page.text)
    assert "Recommendation" in text or "No design recommended" in text
    assert "report-tiny" in text and "seed" in text


def test_is_ascii_and_deterministic(report_study, report_results, report_html):
    """Plain ASCII (any locale reads it) and the same bytes for the same results."""
    assert report_html.isascii()
    assert render_report(report_study, report_results) == report_html
    assert report_html.startswith("<!DOCTYPE html>")


def test_user_strings_are_escaped(make_study):
    """Names and descriptions with markup show as text and never become elements."""
    study = make_study(
        name="<script>alert('x')</script>",
        description="Tom & Jerry <img src=x onerror=alert(1)>",
        designs=[{"name": 'a<b>&"c\'', "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "<i>s</i>", "description": "<u>u</u>",
                    "scheduled": [{"kind": "instance_crash", "at_s": 120.0}]}],
    )
    text = render_report(study, hadrsim.experimental.run_study(study, runs=1))
    page = Page(text)
    names = {name for name, _ in page.tags}
    assert not names & {"script", "b", "i", "u"}
    assert all(attrs["src"].startswith(PNG_URI) for attrs in page.all("img"))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "a&lt;b&gt;&amp;&quot;c&#x27;" in text
    assert "Tom &amp; Jerry &lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script>alert('x')</script>" in "".join(page.text)  # shown, as text


def test_chosen_timeline_with_a_stale_hash(report_study, report_results):
    """A pick draws that episode only; a stored hash the re-simulation misses is flagged."""
    pick = TimelinePick("dr", "region", 1, 0, history_hash="0" * 64)
    one = render_report(report_study, report_results, timelines=[pick])
    alts = [attrs["alt"] for attrs in Page(one).all("img")]
    assert len(alts) == 6
    assert any(re.search(r"design dr under scenario region, run 1", alt) for alt in alts)
    assert "records drawn differ from the measured run" in one


def test_default_timelines_pick_each_designs_worst_recovered_episode(report_study,
                                                                    report_results):
    """One pick per design, from run 0: the recovered episode with the longest write RTO
    (maz never recovers from the Region outage, so its crash is drawn instead)."""
    picks = hadrsim.report.default_timelines(report_study, report_results)
    assert [(p.design, p.scenario) for p in picks] == [("maz", "crash"), ("dr", "region")]
    for pick in picks:
        assert pick.run_index == 0
        worst = max(e["rto_write_s"] for r in report_results
                    if r.design == pick.design and r.run_index == 0 for e in r.episodes
                    if e["recovered_write"])
        chosen = next(r for r in report_results if (r.design, r.scenario, r.run_index)
                      == (pick.design, pick.scenario, 0))
        assert chosen.episodes[pick.episode]["rto_write_s"] == worst
        assert pick.history_hash == chosen.history_hash


def test_prices_change_the_costs(report_study, report_results):
    """Price overrides (``--prices``) reach the comparison table's cost column."""
    # (timelines=[] also checks that an empty choice draws no timeline)
    prices = {**DEFAULT_PRICES, "rds_instance_per_h": 2 * DEFAULT_PRICES["rds_instance_per_h"]}
    text = render_report(report_study, report_results, prices, timelines=[])
    assert len(Page(text).all("img")) == 5  # timelines=[]: the summary figures only
    compare = text.split('<table class="compare">', 1)[1].split("</table>", 1)[0]
    for name, table in (("new", prices), ("old", None)):
        doc = hadrsim.experimental.summarize_study(report_study, report_results, table)
        totals = [f"<td>{number(e['cost_month_usd']['total'])}</td>" for e in doc["designs"]]
        assert all((total in compare) == (name == "new") for total in totals), name


def test_no_results_is_an_error(report_study):
    """A report of nothing is refused rather than rendered empty."""
    with pytest.raises(ValueError, match="no results"):
        render_report(report_study, [])


def test_failed_runs_and_no_policy_still_report(make_study):
    """Every run failed and no policy set: the report says so instead of breaking."""
    study = make_study()
    failed = [hadrsim.experimental.RunResult("maz", "rds_multi_az_instance", "crash", i, 7, 600.0,
                                error="RuntimeError: boom\ntraceback") for i in range(2)]
    text = render_report(study, failed)
    page = Page(text)
    assert "2 run(s) failed" in text and "RuntimeError: boom" in text
    assert "no design is recommended" in text
    assert "No episode to draw." in text
    assert len(page.all("img")) == 5  # each summary figure explains it has nothing to show
