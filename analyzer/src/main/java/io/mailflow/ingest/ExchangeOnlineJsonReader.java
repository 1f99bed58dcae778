package io.mailflow.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;

/**
 * Exchange Online MessageTrace results as JSON: the Reporting Web Service OData document
 * ({@code {"odata.metadata":..,"value":[{..}]}}, also the verbose {@code {"d":{"results":[..]}}})
 * or {@code Get-MessageTrace | ConvertTo-Json} (an array or a single object). Read as a stream,
 * one message object at a time; each becomes one record for its recipient (see
 * {@link MessageTraceSummaries}).
 */
final class ExchangeOnlineJsonReader implements UnitReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final JsonParser parser;
    private final String file;
    private boolean inArray;
    private boolean done;

    ExchangeOnlineJsonReader(final Reader reader, final String file) throws IOException {
        this.parser = new JsonFactory(MAPPER).createParser(reader);
        this.file = file;
    }

    @Override
    public boolean next(final TraceSource.Unit unit) throws IOException {
        if (done) {
            return false;
        }
        try {
            JsonToken token = parser.nextToken();
            if (!inArray) {
                if (token == null) {
                    done = true;
                    return false;
                }
                if (token == JsonToken.START_OBJECT) {
                    // the OData wrapper, or one message object (ConvertTo-Json of a single result)
                    final long line = parser.currentTokenLocation().getLineNr();
                    final ObjectNode top = MAPPER.createObjectNode();
                    if (!seekArray(top)) {
                        unit.begin(line, top.toString());
                        mapGuarded(top, line, unit);
                        done = true;
                        return true;
                    }
                } else if (token != JsonToken.START_ARRAY) {
                    unit.begin(parser.currentTokenLocation().getLineNr(), token.asString());
                    unit.reject("expected a JSON array or object of message traces");
                    done = true;
                    return true;
                }
                inArray = true;
                token = parser.nextToken();
            }
            if (token == JsonToken.END_ARRAY || token == null) {
                done = true;
                return false;
            }
            final long line = parser.currentTokenLocation().getLineNr();
            final JsonNode node = MAPPER.readTree(parser);
            unit.begin(line, node.toString());
            mapGuarded(node, line, unit);
            return true;
        } catch (final JsonProcessingException e) {
            unit.begin(e.getLocation() == null ? 0 : e.getLocation().getLineNr(), "");
            unit.reject("malformed JSON, rest of file not read: " + e.getOriginalMessage());
            done = true;
            return true;
        }
    }

    /**
     * Inside the top-level object: stops at the START_ARRAY of "value" (or "d"."results") and
     * returns true; otherwise collects the object's fields into {@code top} and returns false.
     */
    private boolean seekArray(final ObjectNode top) throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != null) {
            if (token == JsonToken.END_OBJECT) {
                if (parser.getParsingContext().inRoot()) {
                    return false;
                }
                continue;
            }
            final String name = parser.currentName();
            token = parser.nextToken();
            if (("value".equals(name) || "results".equals(name)) && token == JsonToken.START_ARRAY) {
                return true;
            }
            if ("d".equals(name) && token == JsonToken.START_OBJECT) {
                continue;
            }
            top.set(name, MAPPER.readTree(parser));
        }
        return false;
    }

    private void mapGuarded(final JsonNode o, final long line, final ParseOutput out) {
        try {
            MessageTraceSummaries.map(o, TraceFormat.EXCHANGE_ONLINE_JSON, file, line, null, out);
        } catch (final RuntimeException e) {
            out.reject("parser failed: " + e);
        }
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
