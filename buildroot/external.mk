# Every package of this BR2_EXTERNAL tree (buildroot/package/<name>/<name>.mk).
include $(sort $(wildcard $(BR2_EXTERNAL_JNS_PATH)/package/*/*.mk))
