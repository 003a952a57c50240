################################################################################
#
# python-et-xmlfile
#
################################################################################

PYTHON_ET_XMLFILE_VERSION = 2.0.0
PYTHON_ET_XMLFILE_SOURCE = et_xmlfile-$(PYTHON_ET_XMLFILE_VERSION).tar.gz
PYTHON_ET_XMLFILE_SITE = https://files.pythonhosted.org/packages/d3/38/af70d7ab1ae9d4da450eeec1fa3918940a5fafb9055e934af8d6eb0c2313
PYTHON_ET_XMLFILE_SETUP_TYPE = setuptools
# MIT; includes code from the Python standard library (Python licence)
PYTHON_ET_XMLFILE_LICENSE = MIT, Python-2.0
PYTHON_ET_XMLFILE_LICENSE_FILES = LICENCE.rst LICENCE.python

$(eval $(python-package))
