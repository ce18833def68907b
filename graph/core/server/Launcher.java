import java.nio.file.Path;
import java.time.Duration;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community embedded with Bolt on localhost until the process is told to stop.
 *
 * <p>Usage: {@code java Launcher HOME PORT PAGECACHE_MIB [WATCH_PID]}. With WATCH_PID it shuts
 * down when that process is gone (so a test run that dies leaves no server behind). Prints
 * {@code TIPGRAPH_NEO4J_READY
 * bolt://localhost:PORT} once {@code RETURN 1} succeeds. Authentication is off: the server only
 * listens on loopback and is meant for development and tests, never for production data.
 */
public final class Launcher {
    public static void main(String[] args) {
        Path home = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        long pageCacheMib = Long.parseLong(args[2]);
        long watchPid = args.length > 3 ? Long.parseLong(args[3]) : -1;

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("localhost", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMib))
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(5))
                // a development store: transaction logs are neither preallocated (256 MiB each
                // by default) nor kept beyond two small files, so a demo store is tens of MB
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.preallocate_store_files, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold,
                        ByteUnit.mebiBytes(16))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "tipgraph-neo4j-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally("RETURN 1");
        System.out.println("TIPGRAPH_NEO4J_READY bolt://localhost:" + port);
        System.out.flush();
        if (watchPid > 0) {
            Thread watchdog = new Thread(() -> {
                while (ProcessHandle.of(watchPid).map(ProcessHandle::isAlive).orElse(false)) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                System.out.println("watched process " + watchPid + " is gone; shutting down");
                System.exit(0);
            }, "tipgraph-neo4j-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
