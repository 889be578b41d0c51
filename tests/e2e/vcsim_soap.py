# SPDX-License-Identifier: LGPL-2.1-or-later
"""Changes things in the vCenter simulator the way an administrator's client
does: plain vim25 SOAP over HTTPS (Login, then a method on a managed
object), with the session cookie the simulator hands out. The credentials go
in request bodies only, never on a command line."""

import http.cookiejar
import re
import ssl
import time
import urllib.error
import urllib.request
from xml.sax.saxutils import escape

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            '<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>')


class Session:
    def __init__(self, url, ca_file, user, password):
        self.url = url
        context = ssl.create_default_context(cafile=ca_file)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.call('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
                  '</_this><userName>%s</userName><password>%s</password></Login>'
                  % (escape(user), escape(password)))

    def call(self, body):
        request = urllib.request.Request(
            self.url, data=(ENVELOPE % body).encode(), method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8",
                     "SOAPAction": "urn:vim25/7.0"})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.read().decode()
        except urllib.error.HTTPError as e:
            raise AssertionError("SOAP call failed (%d): %s" % (e.code, e.read()[:400]))

    def task_state(self, task):
        answer = self.call(
            '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>Task</type>'
            '<pathSet>info.state</pathSet></propSet><objectSet><obj type="Task">%s</obj>'
            '</objectSet></specSet><options></options></RetrievePropertiesEx>' % task)
        match = re.search(r"<val[^>]*>(\w+)</val>", answer)
        return match.group(1) if match else None

    def power(self, vm_id, on):
        """powers the VM on or off and waits for the task"""
        method = "PowerOnVM_Task" if on else "PowerOffVM_Task"
        answer = self.call('<%s xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
                           '</%s>' % (method, escape(vm_id), method))
        match = re.search(r"<returnval[^>]*>([^<]+)</returnval>", answer)
        if match is None:
            raise AssertionError("%s answered no task: %s" % (method, answer[:400]))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = self.task_state(match.group(1))
            if state == "success":
                return
            if state == "error":
                raise AssertionError("%s of %s failed" % (method, vm_id))
            time.sleep(0.1)
        raise AssertionError("%s of %s did not finish" % (method, vm_id))
