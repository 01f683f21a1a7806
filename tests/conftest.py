"""Shared test setup: quiet TensorFlow, a hypothesis profile, the tiers, and the runs several
test modules read (built once per session, not once per test)."""

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "seqviz", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("seqviz")

# Tests that drive a real Chromium or build the image run in the full tier only, as their own
# pytest beside the rest (`make test`): their servers and browsers are module fixtures, started
# once, and a module's tests run in order.
OUTSIDE = ("browser", "container")


# Tests of the full tier only, by module: each took seconds (tests/README.md lists the times) and
# a quicker test of the same module or the same seqviz code stays in the fast tier. A name with
# a [parameter id] marks that case only. Tests marked slow in their own file are not repeated.
SLOW = {
    "test_app": (
        "test_pressing_train_runs_the_typed_configuration_and_updates_the_url",
        "test_changing_a_widget_does_not_retrain_until_train_is_pressed",
        "test_bad_sequence_shows_an_error_and_keeps_the_last_result",
        "test_epoch_scrubber_redraws_from_snapshots",
        "test_gates_are_drawn_on_demand",
        "test_state_section_shows_the_chosen_mode",
        "test_other_cells_and_stacked_layers_show_their_own_internals_per_layer",
        "test_default_page_trains_the_reference_question_in_every_mode",
        "test_every_preset_trains_without_an_error",
        "test_a_thousand_token_run_ships_at_most_a_megabyte_of_charts",
    ),
    "test_cli": ("test_arbitrary_arguments_never_raise", "test_json_to_stdout_is_pure_json"),
    "test_config": ("test_any_query_gives_a_valid_configuration_or_notices",),
    "test_csv": ("test_any_bytes_give_a_dataset_or_one_message_never_a_traceback",),
    "test_engine": ("test_same_seed_reproduces_in_a_new_process",),
    "test_app_numbers": ("test_the_csv_preset_draws_lines_of_predictions_and_targets_with_a_verdict",),
    "test_export": (
        "test_every_cell_stacked_exports_a_script_and_a_model_keras_runs[gru]",
        "test_every_cell_stacked_exports_a_script_and_a_model_keras_runs[lstm]",
        "test_every_cell_stacked_exports_a_script_and_a_model_keras_runs[simple_rnn]",
    ),
    "test_figures": (
        "test_a_thousand_token_run_ships_under_a_megabyte_of_chart_json",
        "test_the_downloads_of_a_thousand_token_run_keep_every_value",
        "test_hostile_tokens_are_shown_escaped_and_never_raw",
    ),
    "test_keras_behaviour": (
        "test_fit_never_resets_a_stateful_layer_at_its_start_or_between_epochs",
        "test_a_callback_at_on_train_batch_begin_resets_before_that_batch",
        "test_predict_does_not_reset_a_stateful_layer_but_a_stateless_one_starts_from_zeros",
        "test_fit_shuffles_every_epoch_by_default_and_keeps_the_order_without",
        "test_keras_does_not_refuse_a_short_last_stateful_batch_in_fit",
        "test_a_second_fit_call_continues_adams_moments_a_new_model_starts_them_afresh",
        "test_a_stateful_model_predicts_only_at_its_own_batch_size_and_a_rebuilt_copy_does_the_rest",
        "test_a_stateless_fit_takes_a_smaller_last_batch",
        "test_predict_after_fit_carries_on_from_the_state_fit_left",
        "test_the_loss_skips_masked_steps_only_when_every_step_is_returned",
    ),
    "test_oracle": ("test_both_backends_agree_on_a_bigger_model",),
    "test_player": ("test_a_thousand_token_run_ships_its_walkthrough_in_under_400_kb",),
    "test_predict": (
        "test_prediction_matches_model_predict_with_the_state_from_zeros_or_carried[lstm-zeros]",
        "test_prediction_matches_model_predict_with_the_state_from_zeros_or_carried[gru-zeros]",
        "test_prediction_matches_model_predict_with_the_state_from_zeros_or_carried[lstm-carry]",
        "test_prediction_matches_model_predict_with_the_state_from_zeros_or_carried[gru-carry]",
        "test_the_exported_reset_is_seqvizs_intervention[lanes, rebuilt]",
        "test_the_exported_reset_is_seqvizs_intervention[stateful, carried]",
        "test_the_exported_reset_is_seqvizs_intervention[sequence, mid-sample]",
        "test_the_exported_reset_is_seqvizs_intervention[window]",
    ),
    "test_refusals": (
        "test_the_cli_runs_or_refuses_in_one_line",
        "test_a_config_that_validates_runs_to_the_end",
    ),
    "test_regression": (
        "test_the_graph_backend_trains_mse_as_fit_does",
        "test_multi_feature_replay_matches_the_keras_layers",
    ),
    "test_registries": ("test_every_option_has_a_form_widget_with_the_table_s_range",),
    "test_robustness": (
        "test_hostile_notices_are_not_markup",
        "test_any_url_shows_a_run_or_a_notice_never_an_exception",
        "test_markup_in_tokens_is_shown_literally_in_tables_charts_and_explanation",
    ),
    "test_teaching_app": (
        "test_every_section_says_what_to_look_at_and_the_glossary_explains_the_page_s_terms",
        "test_normal_charts_have_4_5_to_1_text_and_presentation_mode_18_px_text_and_hides_sections",
        "test_a_prepared_link_opens_on_its_view_and_the_view_stays_in_the_url",
        "test_continue_training_goes_on_from_the_final_weights_and_the_loss_curve_continues",
        "test_an_error_labels_the_result_below_as_the_previous_run",
        "test_a_preset_says_what_to_notice_and_shapes_are_counted_in_words",
        "test_the_reference_preset_tests_past_the_training_data_and_says_which_positions_count",
    ),
    "test_workers": (
        "test_a_run_continued_in_a_worker_starts_from_the_weights_it_is_given",
        "test_a_worker_that_dies_mid_run_is_replaced",
        "test_a_worker_that_does_not_answer_a_stop_is_killed_and_replaced",
        "test_a_worker_that_died_while_idle_is_replaced_before_it_is_used",
    ),
    "test_walkthrough_app": (
        "test_the_walkthrough_sections_render_with_their_frames",
        "test_walkthrough_choices_redraw_without_retraining",
        "test_a_unit_past_a_narrower_runs_units_falls_back_to_its_last",
        "test_the_walkthrough_is_built_only_once_opened_and_the_link_keeps_it_open",
        "test_x_and_y_as_tokens_are_built_once_opened_and_show_the_feed",
        "test_each_position_as_a_table_is_built_once_opened_and_follows_the_epoch",
    ),
}


def pytest_collection_modifyitems(config, items):
    """The full tier (`make test`) runs everything; the fast tier (`make check`) deselects
    ``slow``: SLOW above, every browser and container test, and what a file marks itself."""
    for item in items:
        if any(item.get_closest_marker(m) for m in OUTSIDE):
            item.add_marker(pytest.mark.slow)
        listed = SLOW.get(item.module.__name__.rpartition(".")[2], ())
        if item.name in listed or item.originalname in listed:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def reference_result():
    """The reference question (0 1 0 2, pairs) in all four modes, default options."""
    from seqviz.config import RunConfig
    from seqviz.engine import run

    return run(RunConfig())


@pytest.fixture(scope="session")
def short_reference():
    """The reference question in all four modes, 20 epochs and three snapshots (an LSTM, one
    layer): what the figure and player tests draw."""
    from seqviz.config import RunConfig
    from seqviz.engine import run

    return run(RunConfig(mode="all", epochs=20, snapshots=3))


@pytest.fixture(scope="session")
def layout_run():
    """``layout_run(name)``: the run of tests/cases.py's layout ``name`` for one epoch, built the
    first time a test asks and shared by every test that reads it."""
    from seqviz.engine import run
    from tests.cases import LAYOUTS, with_options

    @functools.cache
    def built(name: str):
        return run(with_options(LAYOUTS[name], epochs=1))

    return built


def pytest_sessionfinish(session, exitstatus):
    """A worker hands its fact checker tally to the controller; under CI=true every system tool
    is installed first, so a skipped test is a failure."""
    from tests.checker import TALLY

    if hasattr(session.config, "workeroutput"):  # an xdist worker
        session.config.workeroutput["checker_tally"] = dict(TALLY)
        return
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped; under CI a skip is a failure.", red=True
        )
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller adds up the workers' fact checker tallies."""
    from tests.checker import TALLY

    for kind, n in getattr(node, "workeroutput", {}).get("checker_tally", {}).items():
        TALLY[kind] += n


def pytest_terminal_summary(terminalreporter):
    """The fact checker's tally (tests/test_facts_checked.py): what it ran and checked."""
    from tests.checker import TALLY

    if TALLY:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(TALLY.items()))
        terminalreporter.write_line(f"fact checker: {kinds} (a contradiction or a crash fails its test)")
