"""The MQTT broker side: Mosquitto configuration, credentials, the embedded broker."""
