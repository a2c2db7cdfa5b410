"""Server-side SVG charts: accessible, escaped, proportional."""

from reports.charts import Series, bar_chart, line_chart, stacked_bar_chart


def test_bar_chart_is_an_image_with_its_figures_in_words_and_escapes_labels():
    svg = bar_chart(title="Leads", labels=["<b>Ana</b>", "Bo"], values=[30, 10])
    assert 'role="img"' in svg and "<title>Leads</title>" in svg
    assert 'aria-label="Leads: &lt;b&gt;Ana&lt;/b&gt; 30, Bo 10"' in svg
    assert "<b>" not in svg
    # Longest bar spans the width; the other is in proportion.
    assert 'width="100.0%"' in svg and 'width="33.33%"' in svg


def test_bar_chart_draws_no_bar_for_a_missing_figure():
    svg = bar_chart(title="Rate", labels=["A"], values=[None])
    assert "—" in svg and 'fill="#2454d6"' not in svg


def test_stacked_bar_shares_fill_each_bar():
    svg = stacked_bar_chart(
        title="Mix", labels=["A"], series=[Series("x", [1]), Series("y", [3])], share=True
    )
    assert 'width="25.0%"' in svg and 'width="75.0%"' in svg and 'x="25.0%"' in svg


def test_line_chart_scales_to_the_highest_point():
    svg = line_chart(title="Daily", labels=["1", "2", "3"], series=[Series("leads", [0, 5, 10])])
    assert 'points="0.0,100.0 500.0,50.0 1000.0,0.0"' in svg
    assert "vector-effect" in svg


def test_bar_chart_marks_each_bars_target_and_scales_to_it():
    svg = bar_chart(
        title="Leads", labels=["Ana", "Bo"], values=[4, 1], targets=[3, 2], target_label="by weight"
    )
    assert 'x="75.0%"' in svg and 'x="50.0%"' in svg  # marks at 3 and 2 of a top of 4
    assert "Ana 4 (by weight 3)" in svg


def test_a_numbers_csv_value_has_the_pages_two_decimals():
    from decimal import Decimal

    from reports.tables import Column, csv_value, display

    column = Column("share", "Expected", "number")
    assert csv_value(column, 120 / 7) == 17.14 and display(column, 120 / 7) == "17.14"
    assert csv_value(column, Decimal("32500.50")) == Decimal("32500.50")
    assert csv_value(Column("n", "Leads"), 3) == 3  # counts stay as they are
