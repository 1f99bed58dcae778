package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SMTP reply and enhanced status codes from response texts")
class SmtpStatusTest {
    @Test
    @DisplayName("the forms Exchange and Postfix log")
    void forms() {
        assertEquals(new SmtpStatus("450", "4.4.316", null, null), SmtpStatus.parse("450 4.4.316 Connection refused [Message=..]"));
        assertEquals(new SmtpStatus("451", "4.4.0", "contoso.invalid", "192.0.2.1"),
                SmtpStatus.parse("[{LRT=};{LED=451 4.4.0 DNS query failed. The error was: x; y};{FQDN=contoso.invalid};{IP=192.0.2.1}]"));
        assertEquals(new SmtpStatus("451", "4.3.0", "boing001.topica.com", "66.227.60.140"),
                SmtpStatus.parse("host boing001.topica.com[66.227.60.140] said: 451 qq write error or disk full (#4.3.0) (in reply to end of DATA command)"));
        assertEquals(new SmtpStatus("550", "5.4.300", null, null),
                SmtpStatus.parse("550 5.4.300 Message expired -> 451 4.4.0 DNS query failed"));
        assertEquals(new SmtpStatus("554", null, null, null), SmtpStatus.parse("554-smtp2 554 Your access has been rejected"));
        assertEquals(SmtpStatus.NONE, SmtpStatus.parse(""));
        assertEquals(new SmtpStatus(null, null, null, null), SmtpStatus.parse("Connection timed out"));
    }

    @Test
    @DisplayName("recipient-status lists split only where a new status starts")
    void statusLists() {
        assertEquals(List.of("250 2.1.5 OK", "451 4.4.0 Temporary failure; retry"),
                ExchangeRowMapper.splitStatuses("250 2.1.5 OK;451 4.4.0 Temporary failure; retry", 2));
        assertEquals(List.of("550 4.4.7 QUEUE.Expired; message expired"),
                ExchangeRowMapper.splitStatuses("550 4.4.7 QUEUE.Expired; message expired", 1));
        assertEquals(List.of("[{LRT=};{LED=450 4.4.312 DNS query failed}]"),
                ExchangeRowMapper.splitStatuses("[{LRT=};{LED=450 4.4.312 DNS query failed}]", 3));
    }
}
