################################################################################
#
# python-tabulate
#
################################################################################

PYTHON_TABULATE_VERSION = 0.9.0
PYTHON_TABULATE_SOURCE = tabulate-$(PYTHON_TABULATE_VERSION).tar.gz
PYTHON_TABULATE_SITE = https://files.pythonhosted.org/packages/ec/fe/802052aecb21e3797b8f7902564ab6ea0d60ff8ca23952079064155d1ae1
PYTHON_TABULATE_SETUP_TYPE = setuptools
PYTHON_TABULATE_LICENSE = MIT
PYTHON_TABULATE_LICENSE_FILES = LICENSE
# pyproject.toml's build requirements: the version comes from setuptools_scm
PYTHON_TABULATE_DEPENDENCIES = host-python-setuptools-scm host-python-wheel

$(eval $(python-package))
