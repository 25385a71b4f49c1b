"""The compiled part of newsetl: everything else is declared in pyproject.toml.

Both extensions are optional: where no C compiler is found the install goes on and the Python code they speed up
runs instead, with the same results: ``transforms.language`` scores languages with NumPy (``_langscan``), and
``transforms.boilerplate`` loops over lines in Python (``_textscan``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "transforms._langscan",
            sources=["transforms/_langscan.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "transforms._textscan",
            sources=["transforms/_textscan.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
    ]
)
