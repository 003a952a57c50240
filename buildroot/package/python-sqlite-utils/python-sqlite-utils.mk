################################################################################
#
# python-sqlite-utils
#
################################################################################

# 3.x: 4.x needs pip at run time, which the box does not carry
PYTHON_SQLITE_UTILS_VERSION = 3.38
PYTHON_SQLITE_UTILS_SOURCE = sqlite_utils-$(PYTHON_SQLITE_UTILS_VERSION).tar.gz
PYTHON_SQLITE_UTILS_SITE = https://files.pythonhosted.org/packages/51/43/ce9183a21911e0b73248c8fb83f8b8038515cb80053912c2a009e9765564
PYTHON_SQLITE_UTILS_SETUP_TYPE = setuptools
PYTHON_SQLITE_UTILS_LICENSE = Apache-2.0
PYTHON_SQLITE_UTILS_LICENSE_FILES = LICENSE

$(eval $(python-package))
