package io.mailflow.queue;

/** Names of queue tracking's state stores; their changelog topics are named after them. */
record QueueStores(String recipients, String deadlines, String messages, String connectors,
                   String connectorAges) {

    static final QueueStores DEFAULT = new QueueStores(
        "queue-recipients", "queue-deadlines", "queue-messages", "queue-connectors", "queue-connector-ages");

    String[] all() {
        return new String[] {recipients, deadlines, messages, connectors, connectorAges};
    }
}
