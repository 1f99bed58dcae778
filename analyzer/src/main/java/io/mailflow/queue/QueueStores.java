package io.mailflow.queue;

/** Names of queue tracking's state stores; their changelog topics are named after them. */
record QueueStores(String recipients, String deadlines, String arrivals, String outcomes, String connectors,
                   String connectorAges) {

    static final QueueStores DEFAULT = new QueueStores(
        "queue-recipients", "queue-deadlines", "queue-arrivals", "queue-outcomes", "queue-connectors", "queue-connector-ages");

    String[] all() {
        return new String[] {recipients, deadlines, arrivals, outcomes, connectors, connectorAges};
    }
}
