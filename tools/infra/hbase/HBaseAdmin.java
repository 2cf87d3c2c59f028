// Operator/test helper run with the JDK source launcher against the local standalone HBase.
// It exists because region splits and moves are not part of the Thrift2 API the Node adapter uses,
// and the integration tests must move and split regions under a running client.
//
//   java -cp "<conf>:<libs>/*" HBaseAdmin.java probe
//   java -cp ... HBaseAdmin.java regions <table>
//   java -cp ... HBaseAdmin.java split <table> <splitRow>
//   java -cp ... HBaseAdmin.java move <table> <row>        (unassign + reassign the region holding row)
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HRegionLocation;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.RegionInfo;
import org.apache.hadoop.hbase.client.RegionLocator;
import org.apache.hadoop.hbase.util.Bytes;

public class HBaseAdmin {
  public static void main(String[] args) throws Exception {
    Configuration conf = HBaseConfiguration.create();
    conf.setInt("hbase.client.retries.number", 10);
    try (Connection conn = ConnectionFactory.createConnection(conf); Admin admin = conn.getAdmin()) {
      switch (args[0]) {
        case "probe": {
          System.out.println("{\"servers\":" + admin.getRegionServers().size() + ",\"tables\":" + admin.listTableNames().length + "}");
          break;
        }
        case "regions": {
          printRegions(conn, TableName.valueOf(args[1]));
          break;
        }
        case "split": {
          TableName t = TableName.valueOf(args[1]);
          int before = admin.getRegions(t).size();
          admin.split(t, Bytes.toBytes(args[2]));
          waitFor(() -> admin.getRegions(t).size() > before, "split of " + t);
          printRegions(conn, t);
          break;
        }
        case "move": {
          TableName t = TableName.valueOf(args[1]);
          try (RegionLocator loc = conn.getRegionLocator(t)) {
            HRegionLocation l = loc.getRegionLocation(Bytes.toBytes(args[2]), true);
            byte[] name = l.getRegion().getEncodedNameAsBytes();
            // One region server in standalone mode: a move is an unassign followed by a reassign,
            // which changes the server start code the clients cached and invalidates their location.
            admin.unassign(name);
            admin.assign(name);
            waitFor(() -> {
              for (RegionInfo r : admin.getRegions(t)) {
                if (Bytes.equals(r.getEncodedNameAsBytes(), name)) return true;
              }
              return false;
            }, "reassign of " + l.getRegion().getEncodedName());
            System.out.println("{\"moved\":\"" + l.getRegion().getEncodedName() + "\"}");
          }
          break;
        }
        default:
          throw new IllegalArgumentException("unknown command " + args[0]);
      }
    }
  }

  interface Check { boolean ok() throws Exception; }

  static void waitFor(Check c, String what) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (c.ok()) return;
      Thread.sleep(200);
    }
    throw new IllegalStateException("timed out waiting for " + what);
  }

  static void printRegions(Connection conn, TableName t) throws Exception {
    try (RegionLocator loc = conn.getRegionLocator(t)) {
      List<HRegionLocation> all = loc.getAllRegionLocations();
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < all.size(); i++) {
        RegionInfo r = all.get(i).getRegion();
        if (i > 0) sb.append(',');
        sb.append("{\"start\":\"").append(Bytes.toStringBinary(r.getStartKey())).append("\",\"end\":\"")
          .append(Bytes.toStringBinary(r.getEndKey())).append("\",\"name\":\"").append(r.getEncodedName()).append("\"}");
      }
      System.out.println(sb.append(']'));
    }
  }
}
