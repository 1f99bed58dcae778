package io.mailflow.app;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * A throw-away certificate authority for TLS tests, in this JVM with the JDK alone (no keytool
 * process, no BouncyCastle): a CA, a PKCS12 truststore holding it, and PKCS12 keystores with a key
 * and its certificate signed by the CA (chain included). EC P-256 keys, ECDSA-SHA256 signatures,
 * valid from an hour ago for two days. The certificates are X.509 v3, DER-encoded here (the JDK has
 * no public certificate builder); every store has the same password.
 */
final class TestPki {
    private static final String EC_SHA256 = "1.2.840.10045.4.3.2";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final String password;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    private TestPki(final Path dir, final String password) throws GeneralSecurityException {
        this.dir = dir;
        this.password = password;
        this.caKeys = ecKeys();
        final X500Principal caName = new X500Principal("CN=mailflow-test-ca,O=mailflow");
        this.ca = certificate(caName, caKeys, caName, caKeys.getPrivate(), true, null);
    }

    /** Creates the CA and the truststore in {@code dir}. */
    static TestPki create(final Path dir, final String password) throws IOException, GeneralSecurityException {
        final TestPki pki = new TestPki(Files.createDirectories(dir), password);
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", pki.ca);
        pki.store(trust, pki.trustStore());
        return pki;
    }

    Path trustStore() {
        return dir.resolve("truststore.p12");
    }

    String password() {
        return password;
    }

    /**
     * A keystore {@code name}.p12 with a new key and its certificate for {@code dn}, signed by the
     * CA; {@code sanIp} (e.g. 127.0.0.1, also named localhost) or null is its subject alternative name.
     */
    Path keyStore(final String name, final String dn, final String sanIp) throws IOException, GeneralSecurityException {
        final KeyPair keys = ecKeys();
        final X509Certificate cert = certificate(new X500Principal(dn), keys, ca.getSubjectX500Principal(), caKeys.getPrivate(),
            false, sanIp);
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(name, keys.getPrivate(), password.toCharArray(), new java.security.cert.Certificate[] {cert, ca});
        final Path path = dir.resolve(name + ".p12");
        store(store, path);
        return path;
    }

    private void store(final KeyStore store, final Path path) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(path)) {
            store.store(out, password.toCharArray());
        }
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(final X500Principal subject, final KeyPair keys, final X500Principal issuer,
                                               final PrivateKey signer, final boolean isCa, final String sanIp)
            throws GeneralSecurityException {
        try {
            final Instant now = Instant.now();
            final byte[] algorithm = seq(oid(EC_SHA256));
            final List<byte[]> extensions = new ArrayList<>();
            if (isCa) { // basicConstraints, critical: CA
                extensions.add(seq(oid("2.5.29.19"), der(0x01, new byte[] {(byte) 0xFF}), der(0x04, seq(der(0x01, new byte[] {(byte) 0xFF})))));
            }
            if (sanIp != null) { // subjectAltName: iPAddress, dNSName localhost
                extensions.add(seq(oid("2.5.29.17"), der(0x04, seq(der(0x87, InetAddress.getByName(sanIp).getAddress()),
                    der(0x82, "localhost".getBytes(StandardCharsets.US_ASCII))))));
            }
            final List<byte[]> tbs = new ArrayList<>(List.of(
                der(0xA0, der(0x02, BigInteger.valueOf(2).toByteArray())),
                der(0x02, new BigInteger(63, RANDOM).add(BigInteger.ONE).toByteArray()),
                algorithm,
                issuer.getEncoded(),
                seq(time(now.minus(Duration.ofHours(1))), time(now.plus(Duration.ofDays(2)))),
                subject.getEncoded(),
                keys.getPublic().getEncoded()));
            if (!extensions.isEmpty()) {
                tbs.add(der(0xA3, seq(extensions.toArray(byte[][]::new))));
            }
            final byte[] toBeSigned = seq(tbs.toArray(byte[][]::new));
            final Signature signature = Signature.getInstance("SHA256withECDSA");
            signature.initSign(signer);
            signature.update(toBeSigned);
            final byte[] signed = signature.sign();
            final byte[] bits = new byte[signed.length + 1]; // BIT STRING: no unused bits
            System.arraycopy(signed, 0, bits, 1, signed.length);
            final byte[] encoded = seq(toBeSigned, algorithm, der(0x03, bits));
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(encoded));
        } catch (final IOException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static byte[] time(final Instant t) {
        return der(0x17, DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t)
            .getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] oid(final String dotted) {
        final String[] parts = dotted.split("\\.");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
        for (int i = 2; i < parts.length; i++) {
            long v = Long.parseLong(parts[i]);
            final byte[] base128 = new byte[10];
            int n = 0;
            do {
                base128[n++] = (byte) (v & 0x7F);
                v >>>= 7;
            } while (v != 0);
            for (int j = n - 1; j >= 0; j--) {
                out.write(base128[j] | (j == 0 ? 0 : 0x80));
            }
        }
        return der(0x06, out.toByteArray());
    }

    private static byte[] seq(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts) {
            out.writeBytes(p);
        }
        return der(0x30, out.toByteArray());
    }

    /** Tag, definite length, content. */
    private static byte[] der(final int tag, final byte[] content) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        final int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length & 0xFF);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
