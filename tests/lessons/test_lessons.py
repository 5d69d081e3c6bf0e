"""The lessons as a whole: both languages of every note with the same code (only strings and
comments translated), the concepts of each note each shown by a cell of code that uses shenjing,
and exercises whose checks reject nothing when unanswered.

The lessons run, outputs and pictures included, when the site is built (``mkdocs build --strict``
executes every one of them; CI does so). Each lesson's own test file checks that its exercises
reject wrong answers.
"""

import pytest

from tests.lessons import harness

# Every lesson shows these, for its own subject: the forward computation by hand with tensors and
# with the layer, the gradient by hand, by autograd and by gradcheck (agreeing).
EVERY_LESSON = ("forward-by-hand", "forward-layer", "gradient-by-hand", "gradient-autograd",
                "gradcheck")

# The concepts of each note (../shared/notes/), each shown by a code cell tagged concept-<name>.
CONCEPTS = {
    "000": ("fully-connected-network", "l2-norm", "sigmoid", "softmax", "neuron-linear-equation",
            "decision-surfaces", "gradient-descent"),
    "001": ("neuron", "activations", "feedforward-network", "backpropagation",
            "computational-graph", "dynamic-graph", "static-graph", "vanishing-gradients"),
    "002": ("cifar-10", "knn", "linear-classifier", "templates", "svm-loss", "softmax-loss",
            "regularization", "dropout", "initialization", "cnn", "conv-output-size", "rnn",
            "lstm", "word2vec"),
    "003": ("mnist-784-16-16-10", "cost", "gradient-descent", "weights-as-images",
            "mini-batch-sgd"),
    "004": ("quadrant-network-2-6-4", "softmax", "cross-entropy", "backpropagation-by-hand",
            "bgd-sgd-mini-batch"),
}

LESSONS = [(note, language) for note in harness.NOTES for language in harness.LANGUAGES]


@pytest.mark.parametrize(("note", "language"), LESSONS)
def test_every_concept_of_the_note_has_a_cell_of_code(note, language):
    nb = harness.read(note, language)
    for concept in EVERY_LESSON + CONCEPTS[note]:
        cells = harness.tagged(nb, f"concept-{concept}")
        assert cells, f"lesson {note} ({language}) has no cell tagged concept-{concept}"
        assert any(c.cell_type == "code" and c.source.strip() for c in cells), (
            f"lesson {note} ({language}): concept-{concept} is tagged on no cell of code")
    assert not harness.concept_problems(nb), f"lesson {note} ({language})"


def notebook(*cells):
    """A small notebook of (tags, source) code cells, read like a lesson."""
    import nbformat

    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}) for tags, source in cells])


SETUP = (["setup"],
         "import numpy as np\n\nimport shenjing as sj\nimport shenjing.nn.functional as F")


@pytest.mark.parametrize("source", [
    "pass",                                         # shows nothing, computes nothing
    "x = sj.ones(3) * 2",                           # computes with shenjing, shows nothing
    "print(np.ones(3).sum())",                      # shows something, without shenjing
    "def f():\n    print(sj.ones(3))",              # would show, but f is never called
    "x = sj.ones(3)\n'done'",                       # a string as the last line shows nothing
])
def test_a_concept_cell_that_shows_nothing_of_shenjing_fails(source):
    problems = harness.concept_problems(notebook(SETUP, (["concept-x"], source)))
    assert problems and all(p.startswith("concept-x:") for p in problems)


@pytest.mark.parametrize("cells", [
    [(["concept-x"], "sj.ones(3) * 2")],                                  # last line shown
    [(["concept-x"], "print(F.relu(sj.tensor([-1.0, 2.0])))")],           # F is shenjing's
    [(["concept-x"], "import matplotlib.pyplot as plt\nplt.plot(sj.ones(3).numpy())")],
    [([], "net = sj.nn.Linear(2, 2)\nw = net.weight"),                     # built earlier ...
     (["concept-x"], "display(w)")],                                      # ... shown here
    [([], "def double(t):\n    return t * sj.tensor(2.0)"),
     (["concept-x"], "for v in (1.0, 2.0):\n    print(double(v))")],
    [(["concept-x"], "sj.viz.activation_functions()\nx = 1")],           # a shenjing picture
])
def test_a_concept_cell_that_shows_shenjing_at_work_passes(cells):
    assert harness.concept_problems(notebook(SETUP, *cells)) == []


@pytest.mark.parametrize("note", harness.NOTES)
def test_both_languages_have_the_same_code_but_for_strings_and_comments(note):
    zh, en = (harness.read(note, language) for language in harness.LANGUAGES)
    assert harness.code_differences(zh, en) == []


def test_the_code_comparison_ignores_translations_and_sees_code():
    same = harness.code_tokens
    # strings, f-string text, comments and line breaks are translations
    assert same('print("你好", x)  # 注释\n') == same('print(\n    "hello",  # note\n    x)\n')
    assert same('print(f"第 {i + 1} 张：{n:3}" "张")') == same('print(f"{n} of {i + 1}")')
    assert same('assert ok, (\n    "很长的提示")') != same('assert ok, "a hint"')
    # the code inside an f-string counts, and so does everything else
    assert same('print(f"{i}")') != same('print(f"{i + 1}")')
    assert same('print("a", n)') != same('print(n, "a")')
    assert same("x = 1") != same("x = 2")
    nb = notebook(SETUP, (["t"], "print(1)"))
    other = notebook(SETUP, (["t"], "print(2)"))
    assert harness.code_differences(nb, nb) == []
    assert len(harness.code_differences(nb, other)) == 1


@pytest.mark.parametrize("note", harness.NOTES)
def test_both_languages_have_the_same_cells_in_the_same_order(note):
    zh, en = (harness.read(note, language) for language in harness.LANGUAGES)
    assert [harness.tags(c) for c in zh.cells if c.cell_type == "code"] == [
        harness.tags(c) for c in en.cells if c.cell_type == "code"]


@pytest.mark.parametrize(("note", "language"), LESSONS)
def test_a_lesson_is_a_python_notebook_in_percent_format(note, language):
    nb = harness.read(note, language)
    assert nb.metadata["kernelspec"]["language"] == "python"
    assert nb.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "setup" in harness.tags(first_code), "the first code cell is the setup cell"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        "a lesson opens with its title")


@pytest.mark.parametrize(("note", "language"), LESSONS)
def test_two_or_three_exercises_each_with_its_check_and_solution(note, language):
    nb = harness.read(note, language)
    numbers = harness.exercises(nb)
    assert 2 <= len(numbers) <= 3 and numbers == list(range(1, len(numbers) + 1))
    for n in numbers:
        assert harness.code_of(nb, f"exercise-{n}").strip().splitlines()[-1].startswith(
            f"answer_{n} = None"), f"exercise {n} ships unanswered: answer_{n} = None"
        assert f"answer_{n}" in harness.code_of(nb, f"check-{n}")
        solution = harness.code_of(nb, f"solution-{n}")
        assert f"answer_{n} =" in solution and harness.code_of(nb, f"check-{n}").strip() in (
            solution), f"solution {n} sets answer_{n} and runs the check again"
    # the solutions come after every exercise, at the end
    positions = [i for i, c in enumerate(nb.cells)
                 if any(t.startswith("solution-") for t in harness.tags(c))]
    checks = [i for i, c in enumerate(nb.cells)
              if any(t.startswith("check-") for t in harness.tags(c))]
    assert min(positions) > max(checks)


@pytest.mark.parametrize(("note", "language"), LESSONS)
def test_an_unanswered_exercise_is_not_an_error(note, language):
    nb = harness.read(note, language)
    for n in harness.exercises(nb):
        printed = harness.run_check(note, language, n, None)
        assert printed.strip(), f"check {n} with no answer says nothing"
        assert harness.RIGHT[language] not in printed.lower(), (
            f"check {n} with no answer says {harness.RIGHT[language]!r}")
