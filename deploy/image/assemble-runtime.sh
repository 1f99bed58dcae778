#!/usr/bin/env bash
# Assembles the image's base file system in one directory (default analyzer/target/jib-extra),
# which Jib adds on top of `scratch` (analyzer/pom.xml, jib-maven-plugin, <extraDirectories>):
#
#   /opt/java            a jlink'ed Java runtime made from the building JDK (the modules below)
#   /lib, /lib64, /usr/lib  the shared libraries that runtime and the native libraries inside the
#                        dependencies (RocksDB, zstd, snappy, lz4: extracted into java.io.tmpdir
#                        at run time) link against: glibc, libstdc++, libgcc_s, zlib..., copied
#                        from the build machine as `ldd` resolves them, with the dynamic loader
#   /etc/passwd, /etc/group, /etc/nsswitch.conf   user mailflow (10001:10001), files then DNS
#   /tmp, /var/lib/mailflow   empty, mode 1777 (permissions are set by Jib, see the pom)
#
# Usage: assemble-runtime.sh OUTPUT_DIR DEPENDENCY_LIB_DIR
# Needs: jlink and jar (the JDK's jmods: Debian's openjdk-17-jdk-headless has them; a JDK 24+ without
# jmods links from its run-time image), ldd.
# The libraries come from the build machine, so the image's glibc is the build machine's: build
# on the glibc distribution you trust (CI: Debian 12). Takes about 20 s, most of it jlink.
set -euo pipefail
out=$(realpath -m "${1:?output directory}")
deps=${2:?directory of the dependency jars}

# jdeps --ignore-missing-deps --multi-release 17 --print-module-deps -recursive \
#   --class-path 'analyzer/target/lib/*' analyzer/target/mailflow.jar
# printed the first 13; the rest are loaded by name at run time, which jdeps cannot see:
# EC/XDH key exchange for TLS, JNDI DNS, the JAAS login modules Kafka's SASL may name,
# java.instrument for agents, zipfs and the charsets (jdk.charsets: syslog in legacy encodings).
modules=java.base,java.compiler,java.desktop,java.naming,java.net.http,java.rmi,java.scripting
modules+=,java.security.jgss,java.security.sasl,java.sql,jdk.httpserver,jdk.management,jdk.unsupported
modules+=,jdk.crypto.ec,jdk.naming.dns,jdk.security.auth,jdk.zipfs,jdk.charsets,java.instrument

java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v java)")")")}
jlink=$java_home/bin/jlink
[ -x "$jlink" ] || { echo "assemble-runtime: no jlink in $java_home (set JAVA_HOME to a JDK)" >&2; exit 1; }
# jlink reads the JDK's jmods; from Java 24 on a JDK may have none and link from its own run-time
# image instead (JEP 493: Temurin 25 does). A JDK with neither makes jlink fail: say why.
no_jmods_hint=""
[ -d "$java_home/jmods" ] || no_jmods_hint=" ($java_home has no jmods: install the JDK's jmods, e.g. Debian's openjdk-17-jdk-headless, or use a JDK 24+ that links from its run-time image)"

rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp" "$out/var/lib/mailflow"
# --compress=2 is Java 17's spelling; Java 21 renamed it zip-6 and warns about the old one
compress=2
jlink_major=$("$jlink" --version 2>/dev/null | sed -n '1s/^\([0-9]*\).*/\1/p')
[ "${jlink_major:-17}" -ge 21 ] && compress=zip-6
"$jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress="$compress" \
    --output "$out/opt/java" || { echo "assemble-runtime: jlink failed$no_jmods_hint" >&2; exit 1; }
# Debian's JDK links lib/security/cacerts to /etc/ssl/certs/java/cacerts; jlink copies what the
# jmod holds. Make sure it is a real file in the image (the default trust store for https).
if [ -L "$out/opt/java/lib/security/cacerts" ]; then
    cp --remove-destination -L "$out/opt/java/lib/security/cacerts" "$out/opt/java/lib/security/cacerts"
fi

# A server: java.desktop is here for java.beans (Jackson, Avro), not for AWT, sound or fonts.
# Their native libraries would bring X11, ALSA, freetype and harfbuzz; headless AWT stays.
for lib in libawt_xawt libjawt libsplashscreen libjsound libfontmanager libjavajpeg liblcms; do
    rm -f "$out/opt/java/lib/$lib.so"
done

# the native libraries the dependencies unpack at run time, for linux x86_64, taken out with the
# JDK's own jar tool (a CI machine need not have unzip)
jartool=$java_home/bin/jar
natives=$(mktemp -d)
trap 'rm -rf "$natives"' EXIT
for jar in "$deps"/*.jar; do
    entries=$("$jartool" tf "$jar" | grep -E '^(librocksdbjni-linux64\.so|linux/amd64/[^/]*\.so|org/xerial/snappy/native/Linux/x86_64/[^/]*\.so|net/jpountz/util/linux/amd64/[^/]*\.so)$' || true)
    if [ -n "$entries" ]; then
        absolute=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
        (cd "$natives" && "$jartool" xf "$absolute" $entries)
    fi
done

# every ELF file of the runtime and the natives, through ldd: copy what they link against
elves=$( { find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper \); \
           find "$natives" -type f -name '*.so'; } )
export LD_LIBRARY_PATH="$out/opt/java/lib:$out/opt/java/lib/server"
libs=$(for f in $elves; do ldd "$f" 2>/dev/null || true; done \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' \
    | grep -v "^$out" | sort -u)
# glibc loads libgcc_s by name (thread cancellation, unwinding): make sure it is there
# (awk reads all of ldconfig's output: an early exit would end ldconfig with SIGPIPE)
gcc_s=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ && !found { found = $NF } END { print found }')
for lib in $libs $gcc_s; do
    mkdir -p "$out$(dirname "$lib")"
    cp -L "$lib" "$out$lib"
done
[ -f "$natives/librocksdbjni-linux64.so" ] || { echo "assemble-runtime: no librocksdbjni-linux64.so in $deps" >&2; exit 1; }
missing=$(for f in $elves; do ldd "$f" 2>/dev/null | grep "not found" || true; done | sort -u)
if [ -n "$missing" ]; then
    echo "assemble-runtime: unresolved libraries: $missing" >&2
    exit 1
fi

cat > "$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
mailflow:x:10001:10001:mailflow:/var/lib/mailflow:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat > "$out/etc/group" <<'GROUP'
root:x:0:
mailflow:x:10001:
nogroup:x:65534:
GROUP
cat > "$out/etc/nsswitch.conf" <<'NSS'
passwd: files
group: files
hosts: files dns
NSS
echo "assemble-runtime: $(du -sh "$out" | cut -f1) in $out: runtime $(du -sh "$out/opt/java" | cut -f1), libraries: $(echo $libs $gcc_s | wc -w)"
