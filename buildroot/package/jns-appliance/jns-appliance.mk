################################################################################
#
# jns-appliance
#
################################################################################

# The appliance/ tree of this repository, taken as it is in the work tree.
JNS_APPLIANCE_VERSION = local
JNS_APPLIANCE_SITE = $(BR2_EXTERNAL_JNS_PATH)/..
JNS_APPLIANCE_SITE_METHOD = local
# Only appliance/ is copied: the repository also holds images/, build/ and .venv/,
# gigabytes the package never reads.
JNS_APPLIANCE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=__pycache__ '--exclude=*.pyc' '--include=/appliance/***' '--exclude=/*'
# The repository has no licence file yet; legal-info says so instead of guessing.
JNS_APPLIANCE_LICENSE = unspecified
JNS_APPLIANCE_DEPENDENCIES = python3

JNS_APPLIANCE_SITE_PACKAGES = $(TARGET_DIR)/usr/lib/python$(PYTHON3_VERSION_MAJOR)/site-packages

# No pip, no wheel: the same tree copy as scripts/build-image.sh, so both images run
# identical code.  Buildroot byte-compiles site-packages when it finalizes the target.
define JNS_APPLIANCE_INSTALL_TARGET_CMDS
	test -f $(@D)/appliance/__init__.py
	mkdir -p $(JNS_APPLIANCE_SITE_PACKAGES)
	rm -rf $(JNS_APPLIANCE_SITE_PACKAGES)/appliance
	cp -a $(@D)/appliance $(JNS_APPLIANCE_SITE_PACKAGES)/appliance
endef

$(eval $(generic-package))
