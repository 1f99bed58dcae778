package io.mailflow.app;

import java.nio.file.Path;
import java.util.List;

/**
 * The bundled real trace logs (src/test/resources/samples, see SOURCES.md there), by name: the
 * directory also holds SOURCES.md and a TSV of fragments, which a replay rightly leaves out with
 * a WARN.
 */
final class BundledSamples {
    private static final List<String> TRACE_LOGS = List.of("exchange2010_msgtrk_beats_bom8.log",
        "exchange2013_msgtrk_kinesis_agent_windows.log", "exo_messagetrace_reportingwebservice_sumologic.json",
        "postfix_kumina_postfix_exporter.log", "postfix_msimerson_postfix_parser_syslog.log");

    private BundledSamples() {
    }

    /** The paths of the trace logs, as replay arguments. */
    static List<String> traceLogs() {
        final Path dir = Path.of(System.getProperty("mailflow.samples.dir", "src/test/resources/samples"));
        return TRACE_LOGS.stream().map(name -> dir.resolve(name).toString()).toList();
    }
}
