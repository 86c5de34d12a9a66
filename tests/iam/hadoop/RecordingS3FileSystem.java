package moviepipe.testing;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The {@code s3://} scheme on a local folder, recording every FileSystem call (tests only).
 *
 * <p>{@code s3://bucket/key} is the file {@code <root>/bucket/key}, where root is the Hadoop
 * setting {@code moviepipe.recording.root}. Each call appends one tab-separated line to
 * {@code <root>/ops.log}: the operation, the bucket, the key(s). A file written through
 * {@code create} is also copied, when its stream closes, to {@code <root>/.blobs/<n>} and logged
 * as {@code put bucket key n}, so the bytes of every PUT can be replayed even when a later rename
 * moved the file away. The Python side (tests/iam/hadoop_replay.py) turns the log into the S3 API
 * calls an S3 connector makes for each operation and sends them to moto as the Glue role.
 */
public class RecordingS3FileSystem extends FileSystem {
    private URI uri;
    private File root;
    private Path workingDir;
    private static int blobs = 0;

    @Override
    public void initialize(URI name, Configuration conf) throws IOException {
        super.initialize(name, conf);
        setConf(conf);
        this.uri = URI.create(name.getScheme() + "://" + name.getAuthority());
        String folder = conf.get("moviepipe.recording.root");
        if (folder == null) {
            throw new IOException("moviepipe.recording.root is not set");
        }
        this.root = new File(folder);
        this.workingDir = new Path(uri.toString() + "/");
    }

    @Override
    public String getScheme() {
        return "s3";
    }

    @Override
    public URI getUri() {
        return uri;
    }

    private String bucket(Path path) {
        return makeQualified(path).toUri().getAuthority();
    }

    private String key(Path path) {
        String key = makeQualified(path).toUri().getPath();
        return key.startsWith("/") ? key.substring(1) : key;
    }

    private File local(Path path) {
        String key = key(path);
        return key.isEmpty() ? new File(root, bucket(path)) : new File(new File(root, bucket(path)), key);
    }

    private synchronized void log(String... fields) throws IOException {
        try (OutputStream out = new FileOutputStream(new File(root, "ops.log"), true)) {
            out.write((String.join("\t", fields) + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private FileStatus status(Path path, File file) {
        Path qualified = makeQualified(path);
        if (file.isDirectory()) {
            return new FileStatus(0, true, 1, 0, file.lastModified(), qualified);
        }
        return new FileStatus(file.length(), false, 1, 32 * 1024 * 1024, file.lastModified(), qualified);
    }

    @Override
    public FileStatus getFileStatus(Path path) throws IOException {
        log("stat", bucket(path), key(path));
        File file = local(path);
        if (!file.exists()) {
            throw new FileNotFoundException(path + " does not exist");
        }
        return status(path, file);
    }

    @Override
    public FSDataInputStream open(Path path, int bufferSize) throws IOException {
        log("open", bucket(path), key(path));
        File file = local(path);
        if (!file.isFile()) {
            throw new FileNotFoundException(path + " is not a file");
        }
        return new FSDataInputStream(new LocalInput(file));
    }

    @Override
    public FSDataOutputStream create(Path path, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        final File file = local(path);
        if (file.exists() && !overwrite) {
            throw new IOException(path + " exists");
        }
        file.getParentFile().mkdirs();
        final String bucket = bucket(path);
        final String key = key(path);
        OutputStream sink = new FileOutputStream(file) {
            private boolean closed = false;

            @Override
            public void close() throws IOException {
                super.close();
                if (closed) {
                    return;
                }
                closed = true;
                String blob;
                synchronized (RecordingS3FileSystem.class) {
                    blob = Integer.toString(++blobs);
                }
                File blobs = new File(root, ".blobs");
                blobs.mkdirs();
                Files.copy(file.toPath(), new File(blobs, blob).toPath(), StandardCopyOption.REPLACE_EXISTING);
                log("put", bucket, key, blob);
            }
        };
        return new FSDataOutputStream(sink, statistics);
    }

    @Override
    public FSDataOutputStream append(Path path, int bufferSize, Progressable progress) throws IOException {
        throw new IOException("append is not supported on S3");
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        File from = local(src);
        File to = local(dst);
        if (!from.exists()) {
            log("rename-missing", bucket(src), key(src), key(dst));
            return false;
        }
        if (to.isDirectory()) {  // Hadoop semantics: rename into an existing directory
            to = new File(to, from.getName());
            dst = new Path(dst, from.getName());
        }
        log("rename", bucket(src), key(src), key(dst));
        to.getParentFile().mkdirs();
        return from.renameTo(to);
    }

    @Override
    public boolean delete(Path path, boolean recursive) throws IOException {
        log("delete", bucket(path), key(path), Boolean.toString(recursive));
        File file = local(path);
        if (!file.exists()) {
            return false;
        }
        if (file.isDirectory()) {
            File[] children = file.listFiles();
            if (children != null && children.length > 0 && !recursive) {
                throw new IOException(path + " is a non-empty directory");
            }
            deleteTree(file);
            return true;
        }
        return file.delete();
    }

    private static void deleteTree(File file) {
        File[] children = file.listFiles();
        if (children != null) {
            for (File child : children) {
                deleteTree(child);
            }
        }
        file.delete();
    }

    @Override
    public FileStatus[] listStatus(Path path) throws IOException {
        log("list", bucket(path), key(path));
        File file = local(path);
        if (!file.exists()) {
            throw new FileNotFoundException(path + " does not exist");
        }
        if (file.isFile()) {
            return new FileStatus[] {status(path, file)};
        }
        List<FileStatus> out = new ArrayList<>();
        File[] children = file.listFiles();
        if (children != null) {
            for (File child : children) {
                out.add(status(new Path(makeQualified(path), child.getName()), child));
            }
        }
        return out.toArray(new FileStatus[0]);
    }

    @Override
    public boolean mkdirs(Path path, FsPermission permission) throws IOException {
        log("mkdirs", bucket(path), key(path));
        File file = local(path);
        return file.isDirectory() || file.mkdirs();
    }

    @Override
    public void setWorkingDirectory(Path dir) {
        workingDir = makeQualified(dir);
    }

    @Override
    public Path getWorkingDirectory() {
        return workingDir;
    }

    /** A seekable stream over a local file. */
    private static final class LocalInput extends FSInputStream {
        private final RandomAccessFile file;

        LocalInput(File path) throws IOException {
            this.file = new RandomAccessFile(path, "r");
        }

        @Override
        public void seek(long pos) throws IOException {
            file.seek(pos);
        }

        @Override
        public long getPos() throws IOException {
            return file.getFilePointer();
        }

        @Override
        public boolean seekToNewSource(long targetPos) {
            return false;
        }

        @Override
        public int read() throws IOException {
            return file.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return file.read(buffer, offset, length);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
