"""The compiled part of newsetl: everything else is declared in pyproject.toml.

``transforms._langscan`` is optional: where no C compiler is found the install goes on and
``transforms.language`` uses its NumPy path, which gives the same decisions, several times slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "transforms._langscan",
            sources=["transforms/_langscan.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
