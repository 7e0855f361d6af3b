package io.encoder4j.core.config;

/**
 * A problem with user input (a config file, an override, a data path) that is reported as one line, without a
 * stack trace unless the user asks for it.
 */
public class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
