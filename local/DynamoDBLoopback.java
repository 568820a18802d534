/*
 * DynamoDB Local bound to 127.0.0.1 only. DynamoDBLocal.jar has no option for the address it listens on
 * and its Jetty server takes every interface, so anyone on the network could read the tables. This
 * launcher builds the emulator's server from the very same command line, moves its one connector to the
 * loopback address before it starts, and starts it. Run by local/dynamodb.ts with Java's source launcher
 * (Java 11+), so there is nothing to build: java -cp DynamoDBLocal.jar DynamoDBLoopback.java -port N ...
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer emulator = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(emulator);
    Connector[] connectors = jetty.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("DynamoDB Local's connector cannot be bound to loopback: " + connector);
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    emulator.start();
    System.out.println("DynamoDB Local listening on 127.0.0.1");
  }
}
