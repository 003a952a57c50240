################################################################################
#
# python-pyst2
#
################################################################################

PYTHON_PYST2_VERSION = 0.5.1
PYTHON_PYST2_SOURCE = pyst2-$(PYTHON_PYST2_VERSION).tar.gz
PYTHON_PYST2_SITE = https://files.pythonhosted.org/packages/ea/9c/763ada93c3ed056de36b1a6a9e24d4cf987bee423a3ec93db780ab5658d0
PYTHON_PYST2_SETUP_TYPE = setuptools
# setup.py states the licence (the sdist carries no licence file)
PYTHON_PYST2_LICENSE = PSF-2.0 or LGPL or Unlicense
PYTHON_PYST2_LICENSE_FILES = setup.py

$(eval $(python-package))
