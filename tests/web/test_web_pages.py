"""The web view in a real browser: login, the lists, the run form, live node states,
every preview kind, a failure, the actions; no request leaves the server's host (the
``context`` fixture checks that after each test)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect


def node_word(page, node: str):
    return page.locator(f'.node[data-node="{node}"] .word')


def test_without_the_token_a_page_shows_the_login_form_and_no_data(context, web):
    page = context.new_page()
    answer = page.goto(f"{web.url}/")
    assert answer.status == 401
    expect(page.get_by_label("Token")).to_be_visible()
    assert "showcase" not in page.content()
    assert page.goto(f"{web.url}/flows/showcase").status == 401
    assert page.goto(f"{web.url}/?token=wrong").status == 401
    assert httpx.get(f"{web.url}/runs/x/events").status_code == 401
    page.get_by_label("Token").fill(web.token)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="showcase")).to_be_visible()


def test_every_page_and_action_without_the_token_answers_the_login_form(web):
    asks = [("GET", "/"), ("GET", "/flows/showcase"), ("GET", "/blocks/web-fixtures::add"),
            ("POST", "/flows/showcase/run"), ("POST", "/blocks/web-fixtures::add/run"),
            ("GET", "/runs/x"), ("POST", "/runs/x/stop"), ("POST", "/runs/x/rerun"),
            ("POST", "/runs/x/open"), ("GET", "/recorded/0")]
    for method, path in asks:
        answer = httpx.request(method, f"{web.url}{path}")
        assert answer.status_code == 401, (method, path)
        assert 'name="token"' in answer.text and "showcase" not in answer.text, (method, path)


def test_the_printed_url_logs_in_with_a_cookie_and_drops_the_token(page, web):
    assert page.url == f"{web.url}/"
    assert page.goto(f"{web.url}/flows/gated").status == 200


def test_home_lists_flows_blocks_runs_and_searches(page, web):
    for name in ("showcase", "gated", "failing", "web-fixtures::add", "web-fixtures::show"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_text("Every preview kind")).to_be_visible()
    expect(page.get_by_role("link", name="failing-run.jsonl")).to_be_visible()
    page.get_by_label("Search flows, blocks and runs").fill("gate")
    page.get_by_label("Search flows, blocks and runs").press("Enter")
    expect(page.get_by_role("link", name="gated", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="showcase", exact=True)).to_have_count(0)


def test_flow_page_draws_the_graph_and_a_form_from_the_schemas(page, web):
    page.goto(f"{web.url}/flows/showcase")
    graph = page.locator(".graph").first
    for node in ("numbers", "add", "big", "double", "show"):
        expect(graph.locator(f'.node[data-node="{node}"]')).to_be_visible()
    expect(graph.locator('.node[data-node="numbers"]')).to_have_class(re.compile("kind-value"))
    expect(graph.locator('.node[data-node="big"]')).to_have_class(re.compile("kind-condition"))
    expect(graph.locator('.node[data-node="big"]')).to_contain_text("condition node")
    left = {n: graph.locator(f'.node[data-node="{n}"]').bounding_box()["x"]
            for n in ("numbers", "add", "big", "double")}
    assert left["numbers"] < left["add"] < left["big"] < left["double"]  # left to right
    expect(page.locator("#sub-double")).to_be_hidden()
    page.get_by_role("button", name="expand").click()
    expect(page.locator('#sub-double .node[data-node="double/twice"]')).to_be_visible()
    expect(page.get_by_label("rows")).to_have_value("60")


def test_block_form_takes_numbers_booleans_enums_and_json(page, web):
    page.goto(f"{web.url}/blocks/web-fixtures::add")
    page.get_by_label("a", exact=True).fill("2.5")
    page.get_by_label("b", exact=True).fill("4")
    page.get_by_label("twice").check()
    page.get_by_label("unit").select_option(label="km")
    page.get_by_label("extra").fill('{"note": 1}')
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    expect(page.locator("#run-status")).to_contain_text("completed")
    expect(page.locator("#outputs")).to_contain_text("13")
    expect(page.locator("#logs")).to_contain_text("2.5 + 4 = 6.5 km")
    expect(node_word(page, "add")).to_have_text("done")


def test_a_bad_form_value_is_shown_and_nothing_runs(page, web):
    page.goto(f"{web.url}/blocks/web-fixtures::add")
    page.get_by_label("extra").fill("{not json")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("extra")
    assert "/runs/" not in page.url


def test_run_from_the_form_renders_every_preview_kind(page, web):
    page.goto(f"{web.url}/flows/showcase")
    page.get_by_label("rows").fill("30")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    expect(page.locator("#run-status")).to_contain_text("completed")
    for node in ("add", "big", "double", "show"):
        expect(node_word(page, node)).to_have_text("done")
    expect(page.locator("#outputs")).to_contain_text("doubled")
    # table: header cells, the row count, sorting, paging
    table = page.locator(".preview-table")
    expect(table.locator("th")).to_have_text(["city", "population"])
    expect(table.locator(".table-count")).to_have_text("30 rows")
    expect(table.locator("tbody tr")).to_have_count(25)
    table.get_by_role("button", name="population").click()
    expect(table.locator("tbody tr").first.locator("td").nth(1)).to_have_text("0")
    table.get_by_role("button", name="Next page").click()
    expect(table.locator("tbody tr")).to_have_count(5)
    # a matplotlib image that loaded
    image = page.locator(".preview-image img")
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())
    # plotly.js draws its SVG inside the sandboxed frame
    chart = page.frame_locator("iframe.plotly")
    expect(chart.locator("svg.main-svg").first).to_be_attached()
    expect(chart.locator(".bars path").first).to_be_attached()
    assert page.locator("iframe.plotly").get_attribute("sandbox") == "allow-scripts"
    # markdown, JSON, html, audio, video
    expect(page.locator(".preview-markdown h1")).to_have_text("Report")
    expect(page.locator(".preview-markdown strong")).to_have_text("bold")
    expect(page.locator(".preview-json").first).to_contain_text("answer")
    expect(page.locator(".preview-json").first).to_contain_text("deep")
    frames = page.locator("iframe.preview-html:not(.plotly)")
    expect(frames).to_have_count(1)
    expect(page.frame_locator("iframe.preview-html:not(.plotly)").locator("#hello")
           ).to_have_text("Hello from html")
    expect(page.locator(".preview-audio audio")).to_have_attribute("controls", "")
    expect(page.locator(".preview-video video")).to_have_count(1)


def test_node_states_change_live_without_reload_in_many_tabs(context, page, web, gate):
    page.goto(f"{web.url}/flows/gated")
    page.get_by_label("gate").fill(str(gate))
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    other = context.new_page()
    other.goto(page.url)
    page.evaluate("window.notReloaded = true")
    for tab in (page, other):
        expect(node_word(tab, "wait")).to_have_text("running")
        expect(node_word(tab, "after")).to_have_text("waiting")
        expect(tab.locator('.node[data-node="wait"] progress')).to_be_visible()
        expect(tab.locator("#logs")).to_contain_text("waiting for the gate")
    gate.touch()
    for tab in (page, other):
        expect(node_word(tab, "wait")).to_have_text("done")
        expect(node_word(tab, "after")).to_have_text("done")
        expect(tab.locator("#run-status")).to_contain_text("completed")
    assert page.evaluate("window.notReloaded") is True
    page.get_by_label("Show the logs of").select_option("after")
    expect(page.locator('.log-line[data-node="wait"]').first).to_be_hidden()
    expect(page.locator('.log-line[data-node="after"]').first).to_be_visible()


def test_a_failed_node_shows_its_message_and_traceback(page, web):
    page.goto(f"{web.url}/flows/failing")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    expect(node_word(page, "boom")).to_have_text("failed")
    error = page.locator("#errors")
    expect(error).to_contain_text("Node boom failed")
    expect(error).to_contain_text("ValueError: the fail block refuses code 7")
    expect(error.locator(".traceback")).to_contain_text("main.py")
    expect(page.locator("#run-status")).to_contain_text("failed")


def test_stop_and_rerun_with_the_same_inputs(page, web, gate):
    page.goto(f"{web.url}/flows/gated")
    page.get_by_label("gate").fill(str(gate))
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    first = page.url
    expect(node_word(page, "wait")).to_have_text("running")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#run-status")).to_contain_text("stopped")
    page.get_by_role("button", name="Re-run with the same inputs").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    assert page.url != first
    page.get_by_text("Inputs", exact=True).click()
    expect(page.locator("dl.inputs")).to_contain_text(str(gate))
    expect(node_word(page, "wait")).to_have_text("running")
    gate.touch()
    expect(page.locator("#run-status")).to_contain_text("completed")
    expect(page.locator('tr[data-node-row="wait"]')).to_contain_text("main.py")


def test_a_recorded_run_is_listed_and_shown(page, web):
    page.get_by_role("link", name="failing-run.jsonl").click()
    expect(node_word(page, "boom")).to_have_text("failed")
    expect(page.locator("#errors")).to_contain_text("refuses code 7")


def test_a_narrow_window_still_shows_the_form_and_graph(context, web):
    page = context.new_page()
    page.set_viewport_size({"width": 420, "height": 800})
    page.goto(f"{web.url}/?token={web.token}")
    page.goto(f"{web.url}/flows/showcase")
    expect(page.get_by_label("rows")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 420  # the graph scrolls inside its box, the page does not
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("A", "INPUT")


def test_a_file_input_takes_an_upload(page, web, tmp_path):
    text = tmp_path / "three.txt"
    text.write_text("one\ntwo\nthree\n")
    page.goto(f"{web.url}/blocks/web-fixtures::count_lines")
    page.get_by_label("file", exact=True).set_input_files(str(text))
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    expect(page.locator("#run-status")).to_contain_text("completed")
    expect(page.locator("#outputs")).to_contain_text("3")


def test_an_api_client_reads_the_same_event_stream(page, web):
    page.goto(f"{web.url}/flows/failing")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    run_id = page.url.rsplit("/", 1)[1]
    headers = {"Authorization": f"Bearer {web.token}"}
    with httpx.stream("GET", f"{web.url}/runs/{run_id}/events", headers=headers,
                      timeout=120) as answer:
        assert answer.status_code == 200
        text = "".join(answer.iter_text())
    ids = [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]
    assert ids == list(range(1, len(ids) + 1))  # each message once, in order
    assert '"type":"BlockFinished"' in text.replace(" ", "")
    assert text.rstrip().endswith("event: end\ndata: {}")
    resumed = httpx.get(f"{web.url}/runs/{run_id}/events", timeout=120,
                        headers={**headers, "Last-Event-ID": str(ids[-2])}).text
    assert [int(line[4:]) for line in resumed.splitlines() if line.startswith("id: ")] \
        == [ids[-1]]
