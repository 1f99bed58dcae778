package io.mailflow.deploy;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@link ContainerImageIT} inside the image's file system (chroot, as the image's user):
 * loads every native library the dependencies unpack into java.io.tmpdir at run time (RocksDB,
 * zstd, snappy, lz4) and uses it once, so a missing glibc/libstdc++ piece or an unwritable /tmp
 * fails here rather than in a pod. Reflection only: these jars are runtime dependencies.
 */
public final class ImageNativeProbe {
    private ImageNativeProbe() {
    }

    public static void main(String[] args) throws Exception {
        byte[] data = "mailflow mailflow mailflow mailflow".getBytes(StandardCharsets.UTF_8);

        Class<?> rocks = Class.forName("org.rocksdb.RocksDB");
        rocks.getMethod("loadLibrary").invoke(null);
        Class<?> optionsClass = Class.forName("org.rocksdb.Options");
        Object options = optionsClass.getConstructor().newInstance();
        optionsClass.getMethod("setCreateIfMissing", boolean.class).invoke(options, true);
        String dir = System.getProperty("java.io.tmpdir") + "/image-probe-rocksdb";
        Object db = rocks.getMethod("open", optionsClass, String.class).invoke(null, options, dir);
        rocks.getMethod("put", byte[].class, byte[].class).invoke(db, data, data);
        byte[] back = (byte[]) rocks.getMethod("get", byte[].class).invoke(db, (Object) data);
        ((AutoCloseable) db).close();
        ((AutoCloseable) options).close();
        check("rocksdb", back != null && back.length == data.length);

        Method zstd = Class.forName("com.github.luben.zstd.Zstd").getMethod("compress", byte[].class);
        check("zstd", ((byte[]) zstd.invoke(null, (Object) data)).length > 0);

        Method snappy = Class.forName("org.xerial.snappy.Snappy").getMethod("compress", byte[].class);
        check("snappy", ((byte[]) snappy.invoke(null, (Object) data)).length > 0);

        Object lz4 = Class.forName("net.jpountz.lz4.LZ4Factory").getMethod("nativeInstance").invoke(null);
        check("lz4", lz4 != null);

        System.out.println("native libraries ok: rocksdb zstd snappy lz4");
    }

    private static void check(String what, boolean ok) {
        if (!ok) {
            throw new IllegalStateException(what + " failed");
        }
        System.out.println(what + " ok");
    }
}
