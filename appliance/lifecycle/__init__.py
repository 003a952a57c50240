"""The appliance's lifecycle: firmware updates with A/B slots and automatic rollback
(`update`), encrypted backup and restore (`backup`).  Factory reset is the console's flag
file, wiped at boot by `appliance.box prepare`."""
